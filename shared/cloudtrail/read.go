package cloudtrail

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// gzipMagic opens every gzip stream (RFC 1952). CloudTrail delivers its log
// files gzip-compressed (.json.gz), and a file copied or renamed keeps its
// content, not its name: the content decides.
var gzipMagic = []byte{0x1f, 0x8b}

// ReadInput reads one input for Parse: a file, standard input or an S3
// object, decompressed when it is gzip. The limit, MaxInput, is on what is
// read after decompression, so a small compressed file that expands without
// end (a gzip bomb) stops at the limit instead of exhausting memory.
func ReadInput(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(len(gzipMagic))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read: %w", err)
	}
	if !bytes.Equal(head, gzipMagic) {
		data, err := io.ReadAll(io.LimitReader(br, MaxInput+1))
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		return data, nil // Parse names the limit when data is over it
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("read gzip: %w", err)
	}
	defer zr.Close()
	data, err := io.ReadAll(io.LimitReader(zr, MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read gzip: %w", err)
	}
	if len(data) > MaxInput {
		return nil, fmt.Errorf("gzip input decompresses to more than %d bytes, the limit on one input (a CloudTrail log file is far smaller)", MaxInput)
	}
	return data, nil
}
