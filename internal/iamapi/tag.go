package iamapi

import (
	"fmt"

	"github.com/fnurl/fnurl/internal/iam"
)

// tagParams reads Tags.member.N.Key / .Value.
func tagParams(q *request) []iam.Tag {
	var tags []iam.Tag
	for i := 1; ; i++ {
		k, ok := q.params[fmt.Sprintf("Tags.member.%d.Key", i)]
		if !ok || len(k) == 0 {
			return tags
		}
		tags = append(tags, iam.Tag{Key: k[0], Value: q.params.Get(fmt.Sprintf("Tags.member.%d.Value", i))})
	}
}

type tagXML struct {
	Key   string
	Value string
}

func tagEntity(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		if err := h.iam.TagEntity(q.r.Context(), kind, name, tagParams(q)); err != nil {
			return err
		}
		return h.write(q, nil)
	}
}

func untagEntity(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		if err := h.iam.UntagEntity(q.r.Context(), kind, name, members(q, "TagKeys")); err != nil {
			return err
		}
		return h.write(q, nil)
	}
}

func listTags(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		tags, err := h.iam.EntityTags(q.r.Context(), kind, name)
		if err != nil {
			return err
		}
		res := struct {
			Tags        []tagXML `xml:"Tags>member"`
			IsTruncated bool
		}{Tags: []tagXML{}}
		for _, t := range tags {
			res.Tags = append(res.Tags, tagXML{t.Key, t.Value})
		}
		return h.write(q, res)
	}
}

func (h *Handler) getAccessKeyLastUsed(q *request) error {
	id, err := required(q, "AccessKeyId", "accessKeyId")
	if err != nil {
		return err
	}
	if err := h.authorize(q, "*"); err != nil {
		return err
	}
	user, at, service, region, err := h.iam.AccessKeyLastUsed(q.r.Context(), id)
	if err != nil {
		return err
	}
	type lastUsed struct {
		LastUsedDate string `xml:",omitempty"`
		ServiceName  string
		Region       string
	}
	lu := lastUsed{ServiceName: "N/A", Region: "N/A"}
	if !at.IsZero() {
		lu = lastUsed{LastUsedDate: isoTime(at), ServiceName: service, Region: region}
	}
	if user == "" {
		user = "root"
	}
	return h.write(q, struct {
		UserName          string
		AccessKeyLastUsed lastUsed
	}{user, lu})
}

// boundaryAndTags applies the PermissionsBoundary and Tags parameters of
// CreateUser and CreateRole to the entity just created.
func (h *Handler) boundaryAndTags(q *request, kind iam.EntityKind, name, boundary string, tags []iam.Tag) error {
	if boundary != "" {
		if err := h.iam.PutPermissionsBoundary(q.r.Context(), kind, name, boundary); err != nil {
			return err
		}
	}
	if len(tags) > 0 {
		return h.iam.TagEntity(q.r.Context(), kind, name, tags)
	}
	return nil
}
