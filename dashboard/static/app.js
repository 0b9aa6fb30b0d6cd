// Octopost Dashboard's only script. Every page works without it; it adds two things a
// server-rendered page cannot do alone.
"use strict";

// 1. The browser's time zone, for the server: times are shown, and datetime-local inputs
//    read, in the zone this cookie names. It is set on the first page (setup or sign-in,
//    which show no times), so the pages after it are in local time. No reload: the page
//    may be the answer to a form, which a reload would send again.
(function () {
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  var current = document.cookie.split("; ").filter(function (c) { return c.indexOf("octopost_tz=") === 0; })[0];
  var value = encodeURIComponent(zone);
  if (current === "octopost_tz=" + value) { return; }
  var secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = "octopost_tz=" + value + "; Path=/dashboard; Max-Age=31536000; SameSite=Lax" + secure;
})();

// 2. Copy buttons: <button data-copy="#new-key"> copies the text of that element.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) { return; }
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source) { return; }
  var text = source.textContent.trim();
  var done = function () {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
  } else {
    selectText(source);
  }
});

function selectText(el) {
  var range = document.createRange();
  range.selectNodeContents(el);
  var sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
}
