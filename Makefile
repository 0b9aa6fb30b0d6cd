# Octopost developer tasks. `make test` is the whole suite, as CI runs it (.ci/run).

# Pinned linter versions, run through npx.
REDOCLY  := @redocly/cli@2.77.0
SPECTRAL := @stoplight/spectral-cli@6.16.3
# Keep the linters quiet and local: no usage telemetry, no update check.
LINT_ENV := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

.PHONY: all generate check-generated lint-spec vet fmt-check test build serve image screenshots

all: build

# Regenerate gen/ (oapi-codegen from openapi.yaml, sqlc from db/).
generate:
	go generate ./...

# Fail when gen/ is not what the generators produce from the committed sources.
check-generated: generate
	@git diff --exit-code --stat -- gen/ || { \
	  echo "check-generated: gen/ is out of date: run 'make generate' and commit the result" >&2; exit 1; }
	@untracked="$$(git ls-files --others --exclude-standard -- gen/)"; \
	if [ -n "$$untracked" ]; then \
	  echo "check-generated: generated files not committed:" >&2; echo "$$untracked" >&2; \
	  echo "run 'make generate' and commit them" >&2; exit 1; \
	fi

# Lint the API description with both linters (config: redocly.yaml, .spectral.yaml).
lint-spec:
	$(LINT_ENV) npx --yes $(REDOCLY) lint openapi.yaml
	npx --yes $(SPECTRAL) lint --fail-severity=error openapi.yaml

vet:
	go vet ./...

# Fail if any tracked Go file is not gofmt-formatted.
fmt-check:
	@unformatted="$$(git ls-files -z -- '*.go' | xargs -0 gofmt -l)"; \
	if [ -n "$$unformatted" ]; then \
	  echo "fmt-check: run gofmt -w on:" >&2; echo "$$unformatted" >&2; exit 1; \
	fi

# The whole suite. Docker, the local PostgreSQL image and the server image come first: the
# database and image tests need them, and under CI=true pgtest fails (never skips) without them.
test:
	scripts/ensure-docker.sh
	scripts/ensure-chromium.sh
	scripts/build-postgres-image.sh
	scripts/build-image.sh
	$(MAKE) check-generated
	$(MAKE) lint-spec
	$(MAKE) vet
	$(MAKE) fmt-check
	CI=$${CI:-} go test -count=1 -timeout 20m ./...

# -buildvcs=auto stamps the commit that `octopost version` prints, even where GOFLAGS
# turns stamping off.
build:
	go build -buildvcs=auto -o octopost ./cmd/octopost

serve: build
	./octopost serve

# The server image, octopost:latest (and octopost:c-<content hash>): a static binary FROM
# scratch, built without any registry (scripts/build-image.sh; VERSION=v1.2.3 sets the
# version `octopost version` prints).
image:
	scripts/build-image.sh

# The README's screenshots: run the dashboard's browser test (Chromium, PostgreSQL) and
# copy the pages it saved (e2e/artifacts/dashboard-*.png) into docs/screenshots/. CI=true:
# a missing Chromium or Docker fails the run instead of skipping the test.
screenshots:
	scripts/ensure-docker.sh
	scripts/ensure-chromium.sh
	scripts/build-postgres-image.sh
	rm -f e2e/artifacts/dashboard-*.png
	CI=true OCTOPOST_ARTIFACTS=$(CURDIR)/e2e/artifacts go test -count=1 -run '^TestDashboardInABrowser$$' ./e2e/
	mkdir -p docs/screenshots
	cp e2e/artifacts/dashboard-*.png docs/screenshots/
