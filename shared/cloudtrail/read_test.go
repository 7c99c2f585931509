package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReadInput: gzip is recognised by its content, whatever the input is
// called, and plain JSON reads as it is; both parse to the same record.
func TestReadInput(t *testing.T) {
	logFile := []byte(`{"Records": [` + bareRecord + `]}`)
	tests := []struct {
		name  string
		input []byte
	}{
		{"plain", logFile},
		{"gzip", gzipped(t, logFile)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := ReadInput(bytes.NewReader(tt.input))
			if err != nil {
				t.Fatalf("ReadInput: %v", err)
			}
			events, err := Parse(data)
			if err != nil || len(events) != 1 || events[0].ID != "ev-1" {
				t.Fatalf("Parse(ReadInput) = %d events, %v; want the one record ev-1", len(events), err)
			}
		})
	}
	t.Run("gzip of gzip is read once: the inner stream is not JSON", func(t *testing.T) {
		data, err := ReadInput(bytes.NewReader(gzipped(t, gzipped(t, logFile))))
		if err != nil {
			t.Fatalf("ReadInput: %v", err)
		}
		if _, err := Parse(data); err == nil || !strings.Contains(err.Error(), "invalid UTF-8") {
			t.Errorf("Parse = %v; want invalid UTF-8 (a gzip inside the gzip is not a CloudTrail file)", err)
		}
	})
}

// TestReadInputBounds: a gzip that decompresses past MaxInput (a gzip bomb:
// 64 MiB of zeros is 64 KB compressed) is refused with the limit named;
// truncated or corrupt gzip is an error that says gzip.
func TestReadInputBounds(t *testing.T) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	if _, err := io.CopyN(zw, zeros{}, MaxInput+1); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	good := gzipped(t, []byte(`{"Records": [`+bareRecord+`]}`))
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"bomb", bomb.Bytes(), "decompresses to more than 67108864 bytes"},
		{"truncated", good[:len(good)/2], "read gzip: unexpected EOF"},
		{"corrupt header", append([]byte{0x1f, 0x8b, 0x00}, good[3:]...), "read gzip: gzip: invalid header"},
		{"only the magic", []byte{0x1f, 0x8b}, "read gzip: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := ReadInput(bytes.NewReader(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadInput = %d bytes, %v; want an error containing %q", len(data), err, tt.want)
			}
		})
	}
	t.Run("plain input over the limit", func(t *testing.T) {
		data, err := ReadInput(io.LimitReader(zeros{}, MaxInput+100))
		if err != nil {
			t.Fatalf("ReadInput: %v", err)
		}
		if len(data) != MaxInput+1 {
			t.Fatalf("ReadInput read %d bytes; want MaxInput+1 (%d), for Parse to name the limit", len(data), MaxInput+1)
		}
		if _, err := Parse(data); err == nil || !strings.Contains(err.Error(), "the limit is") {
			t.Errorf("Parse = %v; want the limit named", err)
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
