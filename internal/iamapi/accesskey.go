package iamapi

type accessKeyXML struct {
	UserName        string
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string
	SecretAccessKey string `xml:",omitempty"`
	CreateDate      string
}

func (h *Handler) createAccessKey(q *request) error {
	name, err := h.userOrCaller(q)
	if err != nil {
		return err
	}
	if err := h.authorize(q, h.userARN(q, name)); err != nil {
		return err
	}
	k, err := h.iam.CreateAccessKey(q.r.Context(), name)
	if err != nil {
		return err
	}
	return h.write(q, struct{ AccessKey accessKeyXML }{accessKeyXML{UserName: k.UserName, AccessKeyID: k.ID,
		Status: k.Status, SecretAccessKey: k.SecretAccessKey, CreateDate: isoTime(k.Created)}})
}

type listAccessKeysResult struct {
	UserName          string
	AccessKeyMetadata []accessKeyXML `xml:"AccessKeyMetadata>member"`
	IsTruncated       bool
}

func (h *Handler) listAccessKeys(q *request) error {
	name, err := h.userOrCaller(q)
	if err != nil {
		return err
	}
	if err := h.authorize(q, h.userARN(q, name)); err != nil {
		return err
	}
	keys, err := h.iam.ListAccessKeys(q.r.Context(), name)
	if err != nil {
		return err
	}
	res := listAccessKeysResult{AccessKeyMetadata: []accessKeyXML{}}
	for _, k := range keys {
		res.UserName = k.UserName
		res.AccessKeyMetadata = append(res.AccessKeyMetadata, accessKeyXML{UserName: k.UserName, AccessKeyID: k.ID,
			Status: k.Status, CreateDate: isoTime(k.Created)})
	}
	if res.UserName == "" {
		res.UserName = name
	}
	return h.write(q, res)
}

func (h *Handler) updateAccessKey(q *request) error {
	id, err := required(q, "AccessKeyId", "accessKeyId")
	if err != nil {
		return err
	}
	status, err := required(q, "Status", "status")
	if err != nil {
		return err
	}
	name, err := h.userOrCaller(q)
	if err != nil {
		return err
	}
	if err := h.authorize(q, h.userARN(q, name)); err != nil {
		return err
	}
	if err := h.iam.UpdateAccessKey(q.r.Context(), name, id, status); err != nil {
		return err
	}
	return h.write(q, nil)
}

func (h *Handler) deleteAccessKey(q *request) error {
	id, err := required(q, "AccessKeyId", "accessKeyId")
	if err != nil {
		return err
	}
	name, err := h.userOrCaller(q)
	if err != nil {
		return err
	}
	if err := h.authorize(q, h.userARN(q, name)); err != nil {
		return err
	}
	if err := h.iam.DeleteAccessKey(q.r.Context(), name, id); err != nil {
		return err
	}
	return h.write(q, nil)
}
