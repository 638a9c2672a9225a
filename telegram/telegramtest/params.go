package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
)

// maxUpload bounds a multipart request body (Telegram allows 10 MB photos).
const maxUpload = 10 << 20

// parseParams reads a request's fields the ways the Bot API accepts them:
// query string, form-encoded body (what go-telegram-bot-api sends),
// multipart (uploads: a file field is recorded as its file name, its size
// returned apart) and JSON (objects and arrays kept as JSON text, as they
// would be in a form field).
func parseParams(r *http.Request) (url.Values, map[string]int64, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxUpload); err != nil {
			return nil, nil, fmt.Errorf("can't parse multipart body: %v", err)
		}
		vals := url.Values{}
		for k, vs := range r.Form {
			vals[k] = vs
		}
		files := map[string]int64{}
		for name, fhs := range r.MultipartForm.File {
			if len(fhs) > 0 {
				vals.Set(name, fhs[0].Filename)
				files[name] = fhs[0].Size
			}
		}
		return vals, files, nil
	case "application/json":
		vals, err := jsonParams(r)
		return vals, nil, err
	default:
		if err := r.ParseForm(); err != nil {
			return nil, nil, fmt.Errorf("can't parse form body: %v", err)
		}
		return r.Form, nil, nil
	}
}

func jsonParams(r *http.Request) (url.Values, error) {
	vals := r.URL.Query()
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxUpload))
	if err := dec.Decode(&fields); err != nil {
		return nil, errors.New("can't parse JSON body")
	}
	for k, raw := range fields {
		raw = bytes.TrimSpace(raw)
		var s string
		if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			vals.Set(k, s)
			continue
		}
		vals.Set(k, string(raw))
	}
	return vals, nil
}

// intParam reads an integer field; missing is 0, false.
func intParam(p url.Values, key string) (int64, bool, error) {
	v := p.Get(key)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("field %q must be an integer", key)
	}
	return n, true, nil
}

// boolParam reads a Bot API boolean ("true", "1"…).
func boolParam(p url.Values, key string) bool {
	b, _ := strconv.ParseBool(p.Get(key))
	return b
}
