package instagram

// platform_options.instagram: {post_type: feed | carousel | reel | story}, what the post
// becomes on Instagram. Each type takes certain media, checked against the post when it is
// accepted (Spec.Options) and again before publishing (every part of a thread carries the
// entry, and each part is its own Instagram post):
//
//	feed      exactly one image, no video
//	carousel  2 to 10 items: the images, and the video if there is one
//	reel      a video, no images (a reel is the video alone)
//	story     exactly one image or one video, not both; a story shows no caption, so the
//	          post's text is not sent with it (the choice of a story says so)
//
// Without a post_type: a video alone is a reel, two or more items (images, or images and a
// video) a carousel, one image a feed post. Nothing the post carries is ever dropped
// silently: media a type cannot take is a problem, not an omission.

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/octopost/octopost/service/platform"
)

// Instagram's post types, as platform_options names them.
const (
	PostFeed     = "feed"
	PostCarousel = "carousel"
	PostReel     = "reel"
	PostStory    = "story"
)

// maxCarousel is the most items an Instagram carousel takes.
const maxCarousel = 10

// Options is a post's platform_options.instagram.
type Options struct {
	PostType string `json:"post_type,omitempty"`
}

// decodeOptions reads raw (nil or null: no options), refusing fields Instagram has not.
func decodeOptions(raw json.RawMessage) (Options, error) {
	var o Options
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return o, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return Options{}, err
	}
	return o, nil
}

// checkOptions is Spec.Options. A post without media is left to the media requirement's
// own message.
func checkOptions(raw json.RawMessage, p platform.Post) []platform.OptionProblem {
	o, err := decodeOptions(raw)
	if err != nil {
		return []platform.OptionProblem{{Message: "must be an object with post_type"}}
	}
	if len(p.Images) == 0 && p.VideoURL == "" {
		return nil
	}
	if _, msg := postType(o, p); msg != "" {
		return []platform.OptionProblem{{Path: "/post_type", Message: msg}}
	}
	return nil
}

// postType returns what p becomes on Instagram under o, or why it cannot be that.
func postType(o Options, p platform.Post) (string, string) {
	images, video := len(p.Images), p.VideoURL != ""
	items := images
	if video {
		items++
	}
	kind := o.PostType
	if kind == "" {
		switch {
		case items == 0:
			return "", "Instagram takes no text-only posts: a post needs an image or a video"
		case video && images == 0:
			kind = PostReel
		case items >= 2:
			kind = PostCarousel
		default:
			kind = PostFeed
		}
	}
	switch kind {
	case PostFeed:
		if images != 1 || video {
			return "", fmt.Sprintf("a feed post is exactly one image and no video; this post has %s", describe(images, video))
		}
	case PostCarousel:
		if items < 2 || items > maxCarousel {
			return "", fmt.Sprintf("a carousel takes 2 to %d images (a video may be one of them); this post has %s", maxCarousel, describe(images, video))
		}
	case PostReel:
		if !video || images > 0 {
			return "", fmt.Sprintf("a reel is a video alone; this post has %s", describe(images, video))
		}
	case PostStory:
		if items != 1 {
			return "", fmt.Sprintf("a story is exactly one image or one video; this post has %s", describe(images, video))
		}
	default:
		return "", "must be one of feed, carousel, reel, story"
	}
	return kind, ""
}

func describe(images int, video bool) string {
	s := fmt.Sprintf("%d images", images)
	if images == 1 {
		s = "1 image"
	}
	if video {
		return s + " and a video"
	}
	return s + " and no video"
}
