package status

import (
	"encoding/json"
	"testing"
	"time"
)

// The payloads storage wrote for up → down → degraded → up before
// StatePayload moved here (captured from the storage package of commit
// 53d4575): the JSON must stay byte-identical.
const (
	storedOutage   = `{"since_ms":1617687060000,"incident_id":1,"http_status":200,"latency_ms":840}`
	storedDegraded = `{"since_ms":1617687120000,"incident_id":1,"down_since_ms":1617687060000,"http_status":200,"latency_ms":840}`
	storedRecovery = `{"since_ms":1617687180000,"incident_id":0,"down_since_ms":1617687120000,"http_status":200,"latency_ms":840}`
)

func TestStatePayloadJSON(t *testing.T) {
	tests := []struct {
		name string
		p    StatePayload
		want string
	}{
		{"outage", StatePayload{SinceMS: 1617687060000, IncidentID: 1, HTTPStatus: 200, LatencyMS: 840}, storedOutage},
		{"down to degraded", StatePayload{SinceMS: 1617687120000, IncidentID: 1, DownSinceMS: 1617687060000, HTTPStatus: 200, LatencyMS: 840}, storedDegraded},
		{"recovery", StatePayload{SinceMS: 1617687180000, DownSinceMS: 1617687120000, HTTPStatus: 200, LatencyMS: 840}, storedRecovery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.p)
			if err != nil || string(b) != tt.want {
				t.Fatalf("json.Marshal = %s, %v; want %s", b, err, tt.want)
			}
			got, err := ParseStatePayload(tt.want)
			if err != nil || got != tt.p {
				t.Errorf("ParseStatePayload(%s) = %+v, %v; want %+v", tt.want, got, err, tt.p)
			}
		})
	}
}

func TestStatePayloadTimes(t *testing.T) {
	p, err := ParseStatePayload(storedDegraded)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.UnixMilli(1617687120000); !p.Since().Equal(want) {
		t.Errorf("Since() = %v, want %v", p.Since(), want)
	}
	if want := time.UnixMilli(1617687060000); !p.DownSince().Equal(want) {
		t.Errorf("DownSince() = %v, want %v", p.DownSince(), want)
	}
	var zero StatePayload
	if !zero.Since().IsZero() || !zero.DownSince().IsZero() {
		t.Error("a zero payload has times")
	}
}

// TestParseStatePayloadKeepsWhatItCan: a garbled field loses that field
// only, as decoding into a struct always did.
func TestParseStatePayloadKeepsWhatItCan(t *testing.T) {
	p, err := ParseStatePayload(`{"since_ms":1617687060000,"latency_ms":"slow"}`)
	if err == nil {
		t.Fatal("no error for a string latency")
	}
	if p.SinceMS != 1617687060000 {
		t.Errorf("since_ms lost: %+v", p)
	}
	if _, err := ParseStatePayload(`not json`); err == nil {
		t.Error("no error for garbage")
	}
}
