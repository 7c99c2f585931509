package faultproxy

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
)

// protocol is the AWS wire protocol of a request, which fixes the shape of
// an error the SDK can decode.
type protocol int

const (
	protoJSON     protocol = iota // awsJson1_0/1_1: X-Amz-Target, __type in the body
	protoQuery                    // awsQuery: Action= form, <ErrorResponse>
	protoEC2                      // ec2Query: Action= form, <Response><Errors>
	protoRESTJSON                 // restJson1: X-Amzn-ErrorType header
	protoRESTXML                  // restXml: <ErrorResponse> (S3: bare <Error>)
)

// reply is an error answer before it is put in the protocol's shape.
type reply struct {
	status  int
	code    string
	message string
	// sender is the query protocol's <Type>: Sender or Receiver.
	sender bool
}

func faultReply(proto protocol, f Fault) reply {
	const rateExceeded = "Rate exceeded"
	switch f {
	case FaultTooManyRequests:
		switch proto {
		case protoEC2:
			return reply{http.StatusTooManyRequests, "RequestLimitExceeded", "Request limit exceeded.", true}
		case protoQuery, protoRESTXML:
			return reply{http.StatusTooManyRequests, "Throttling", rateExceeded, true}
		}
		return reply{http.StatusTooManyRequests, "TooManyRequestsException", rateExceeded, true}
	case FaultUnavailable:
		switch proto {
		case protoEC2:
			return reply{http.StatusServiceUnavailable, "Unavailable", "The server is overloaded and can't handle the request.", false}
		case protoJSON, protoRESTJSON:
			return reply{http.StatusServiceUnavailable, "ServiceUnavailableException", "Service unavailable", false}
		}
		return reply{http.StatusServiceUnavailable, "ServiceUnavailable", "Service unavailable", false}
	}
	switch proto {
	case protoEC2:
		return reply{http.StatusBadRequest, "RequestLimitExceeded", "Request limit exceeded.", true}
	case protoQuery, protoRESTXML:
		return reply{http.StatusBadRequest, "Throttling", rateExceeded, true}
	}
	return reply{http.StatusBadRequest, "ThrottlingException", rateExceeded, true}
}

func failReply(proto protocol, mode FailMode) reply {
	if mode == FailInternal {
		if proto == protoEC2 {
			return reply{http.StatusInternalServerError, "InternalError", "An internal error has occurred", false}
		}
		return reply{http.StatusInternalServerError, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", false}
	}
	const denied = "User: arn:aws:iam::123456789012:user/testing is not authorized to perform this action (injected by faultproxy)"
	switch proto {
	case protoEC2:
		return reply{http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation. (injected by faultproxy)", true}
	case protoQuery, protoRESTXML:
		return reply{http.StatusForbidden, "AccessDenied", denied, true}
	case protoRESTJSON:
		return reply{http.StatusForbidden, "AccessDeniedException", denied, true}
	}
	// The JSON-protocol services answer access denied with 400.
	return reply{http.StatusBadRequest, "AccessDeniedException", denied, true}
}

type queryErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

type ec2ErrorResponse struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

func writeError(w http.ResponseWriter, req request, rep reply) {
	id := requestID()
	h := w.Header()
	h.Set("X-Amzn-RequestId", id)
	var body []byte
	switch req.protocol {
	case protoJSON:
		h.Set("Content-Type", req.contentType)
		body, _ = json.Marshal(map[string]string{"__type": rep.code, "message": rep.message})
	case protoRESTJSON:
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-ErrorType", rep.code)
		body, _ = json.Marshal(map[string]string{"message": rep.message})
	case protoEC2:
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		body, _ = xml.Marshal(ec2ErrorResponse{Code: rep.code, Message: rep.message, RequestID: id})
	case protoRESTXML:
		h.Set("Content-Type", "application/xml")
		if req.op.Service == "s3" {
			body, _ = xml.Marshal(s3Error{Code: rep.code, Message: rep.message, RequestID: id})
			break
		}
		fallthrough
	default:
		h.Set("Content-Type", "text/xml")
		typ := "Receiver"
		if rep.sender {
			typ = "Sender"
		}
		body, _ = xml.Marshal(queryErrorResponse{Type: typ, Code: rep.code, Message: rep.message, RequestID: id})
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rep.status)
	_, _ = w.Write(body)
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
