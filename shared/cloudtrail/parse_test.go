package cloudtrail

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// A bare CloudTrail record, and the same record in every wrapping Parse accepts.
const bareRecord = `{
  "eventVersion": "1.09",
  "userIdentity": {
    "type": "AssumedRole",
    "principalId": "AROAEXAMPLEID:alice",
    "arn": "arn:aws:sts::123456789012:assumed-role/MLEngineer/alice",
    "accountId": "123456789012",
    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEID",
      "arn": "arn:aws:iam::123456789012:role/MLEngineer", "accountId": "123456789012", "userName": "MLEngineer"}}
  },
  "eventTime": "2026-11-20T10:01:00Z",
  "eventSource": "sagemaker.amazonaws.com",
  "eventName": "CreateModel",
  "awsRegion": "eu-west-1",
  "requestParameters": {"modelName": "m1", "vpcConfig": {"subnets": ["subnet-1", "subnet-2"], "securityGroupIds": ["sg-1"]}},
  "responseElements": {"modelArn": "arn:aws:sagemaker:eu-west-1:123456789012:model/m1"},
  "eventID": "ev-1",
  "recipientAccountId": "123456789012",
  "errorCode": null
}`

func eventBridge(detail string) string {
	// The envelope names the account the record does, as EventBridge's
	// does (an event naming two accounts is refused: see
	// TestEnvelopeAccountMustBeTheRecipient).
	account := "123456789012"
	if m := recipient.FindStringSubmatch(detail); m != nil {
		account = m[1]
	}
	return `{"version":"0","id":"eb-1","detail-type":"AWS API Call via CloudTrail","source":"aws.sagemaker",
	"account":"` + account + `","region":"eu-west-1","time":"2026-11-20T10:01:00Z","resources":[],"detail":` + detail + `}`
}

var recipient = regexp.MustCompile(`"recipientAccountId"\s*:\s*"(\d+)"`)

// record is a minimal successful record with extra fields spliced in.
func record(name, source, extra string) string {
	s := `{"eventID":"id-` + name + `","eventName":"` + name + `","eventSource":"` + source + `","awsRegion":"us-east-1","recipientAccountId":"111122223333"`
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func TestParseShapes(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		wantNames []string
	}{
		{"bare record", bareRecord, []string{"CreateModel"}},
		{"EventBridge event", eventBridge(bareRecord), []string{"CreateModel"}},
		{"array of bare records", "[" + bareRecord + "," + record("DeleteModel", "sagemaker.amazonaws.com", "") + "]", []string{"CreateModel", "DeleteModel"}},
		{"array of EventBridge events", "[" + eventBridge(bareRecord) + "," + eventBridge(record("DeleteModel", "sagemaker.amazonaws.com", "")) + "]", []string{"CreateModel", "DeleteModel"}},
		{"log file", `{"Records":[` + bareRecord + "," + record("CreateNotebookInstance", "sagemaker.amazonaws.com", "") + `]}`, []string{"CreateModel", "CreateNotebookInstance"}},
		{"log file with lowercase records key", `{"records":[` + bareRecord + `]}`, []string{"CreateModel"}},
		{"mixed array: record, EventBridge event, log file", "[" + bareRecord + "," + eventBridge(record("DeleteModel", "sagemaker.amazonaws.com", "")) + `,{"Records":[` + record("StartNotebookInstance", "sagemaker.amazonaws.com", "") + `]}]`, []string{"CreateModel", "DeleteModel", "StartNotebookInstance"}},
		{"surrounding whitespace", "\n\t " + bareRecord + "\n\n", []string{"CreateModel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := Parse([]byte(tt.input))
			if err != nil {
				t.Fatalf("Parse: got error %v; want nil", err)
			}
			var names []string
			for _, ev := range events {
				names = append(names, ev.Name)
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Fatalf("event names: got %q; want %q", names, tt.wantNames)
			}
			first := events[0]
			if first.ID != "ev-1" || first.Source != "sagemaker.amazonaws.com" || first.Region != "eu-west-1" || first.Account != "123456789012" {
				t.Errorf("first event: got id=%q source=%q region=%q account=%q; want ev-1 sagemaker.amazonaws.com eu-west-1 123456789012",
					first.ID, first.Source, first.Region, first.Account)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	ev, err := ParseOne([]byte(eventBridge(bareRecord)))
	if err != nil {
		t.Fatalf("ParseOne: got error %v; want nil", err)
	}
	want := time.Date(2026, 11, 20, 10, 1, 0, 0, time.UTC)
	if !ev.Time.Equal(want) {
		t.Errorf("Time: got %v; want %v", ev.Time, want)
	}
	if ev.Failed() || ev.ErrorCode != "" {
		t.Errorf("Failed(): got true (errorCode %q); want false for \"errorCode\": null", ev.ErrorCode)
	}
	if got := ev.Request.Get("modelName").String(); got != "m1" {
		t.Errorf("Request modelName: got %q; want m1", got)
	}
	if got := ev.Request.Get("vpcConfig", "subnets").Strings(); !slices.Equal(got, []string{"subnet-1", "subnet-2"}) {
		t.Errorf("Request vpcConfig.subnets: got %q; want [subnet-1 subnet-2]", got)
	}
	if got := ev.Response.Get("modelArn").String(); got != "arn:aws:sagemaker:eu-west-1:123456789012:model/m1" {
		t.Errorf("Response modelArn: got %q; want the model ARN", got)
	}
	if got := ev.Identity.Principal(); got != "arn:aws:iam::123456789012:role/MLEngineer" {
		t.Errorf("Principal: got %q; want the session issuer's role ARN", got)
	}
	if ev.Identity.Issuer == nil || ev.Identity.Issuer.UserName != "MLEngineer" || ev.Identity.Issuer.Type != "Role" {
		t.Errorf("Issuer: got %+v; want Role MLEngineer", ev.Identity.Issuer)
	}
	if ev.SourceIP != "" || ev.VPCEndpointID != "" {
		t.Errorf("SourceIP, VPCEndpointID: got %q, %q; want empty for a record without them", ev.SourceIP, ev.VPCEndpointID)
	}
}

// TestParseNetworkOrigin: where the call came from, as a presigned URL rule
// reads it.
func TestParseNetworkOrigin(t *testing.T) {
	ev, err := ParseOne([]byte(record("CreatePresignedDomainUrl", "sagemaker.amazonaws.com",
		`"sourceIPAddress":"10.20.1.17","vpcEndpointId":"vpce-0abc"`)))
	if err != nil {
		t.Fatalf("ParseOne: %v", err)
	}
	if ev.SourceIP != "10.20.1.17" || ev.VPCEndpointID != "vpce-0abc" {
		t.Errorf("SourceIP, VPCEndpointID: got %q, %q; want 10.20.1.17, vpce-0abc", ev.SourceIP, ev.VPCEndpointID)
	}
	if _, err := ParseOne([]byte(record("CreatePresignedDomainUrl", "sagemaker.amazonaws.com", `"vpcEndpointId":{"id":"vpce-0abc"}`))); err == nil {
		t.Errorf("vpcEndpointId as an object: got no error; want one naming the field")
	}
}

func TestParseTolerance(t *testing.T) {
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, ev Event)
	}{
		{"recipientAccountId as a number", record("CreateModel", "sagemaker.amazonaws.com", `"recipientAccountId":123456789012`), func(t *testing.T, ev Event) {
			if ev.Account != "123456789012" {
				t.Errorf("Account: got %q; want 123456789012", ev.Account)
			}
		}},
		{"field names in other cases", `{"EventName":"CreateModel","EVENTSOURCE":"sagemaker.amazonaws.com","AWSREGION":"ap-south-1","RecipientAccountID":"1","EventID":"x","RequestParameters":{"ModelName":"m"}}`, func(t *testing.T, ev Event) {
			if ev.Name != "CreateModel" || ev.Source != "sagemaker.amazonaws.com" || ev.Region != "ap-south-1" || ev.Account != "1" || ev.ID != "x" {
				t.Errorf("got name=%q source=%q region=%q account=%q id=%q; want CreateModel sagemaker.amazonaws.com ap-south-1 1 x", ev.Name, ev.Source, ev.Region, ev.Account, ev.ID)
			}
			if got := ev.Request.Get("modelName").String(); got != "m" {
				t.Errorf("modelName: got %q; want m", got)
			}
		}},
		{"errorCode set", record("CreateModel", "sagemaker.amazonaws.com", `"errorCode":"AccessDenied","errorMessage":"no"`), func(t *testing.T, ev Event) {
			if !ev.Failed() || ev.ErrorCode != "AccessDenied" || ev.ErrorMessage != "no" {
				t.Errorf("got Failed()=%v code=%q message=%q; want true AccessDenied no", ev.Failed(), ev.ErrorCode, ev.ErrorMessage)
			}
		}},
		{"errorCode empty string is success", record("CreateModel", "sagemaker.amazonaws.com", `"errorCode":""`), func(t *testing.T, ev Event) {
			if ev.Failed() {
				t.Errorf("Failed(): got true; want false")
			}
		}},
		{"errorCode as a number", record("CreateModel", "sagemaker.amazonaws.com", `"errorCode":403`), func(t *testing.T, ev Event) {
			if ev.ErrorCode != "403" || !ev.Failed() {
				t.Errorf("ErrorCode: got %q; want 403 and Failed", ev.ErrorCode)
			}
		}},
		{"unparseable eventTime leaves zero time", record("CreateModel", "sagemaker.amazonaws.com", `"eventTime":"yesterday"`), func(t *testing.T, ev Event) {
			if !ev.Time.IsZero() {
				t.Errorf("Time: got %v; want zero", ev.Time)
			}
		}},
		{"null params", record("DeleteModel", "sagemaker.amazonaws.com", `"requestParameters":null,"responseElements":null`), func(t *testing.T, ev Event) {
			if ev.Request.Exists() || ev.Response.Exists() {
				t.Errorf("Request/Response Exists: got %v/%v; want false/false", ev.Request.Exists(), ev.Response.Exists())
			}
		}},
		{"no region or account in the record: none invented", `{"eventName":"CreateModel","eventSource":"sagemaker.amazonaws.com"}`, func(t *testing.T, ev Event) {
			if ev.Region != "" || ev.Account != "" {
				t.Errorf("got region=%q account=%q; want empty", ev.Region, ev.Account)
			}
		}},
		{"account from userIdentity when recipientAccountId is missing", `{"eventName":"CreateModel","eventSource":"sagemaker.amazonaws.com","userIdentity":{"type":"IAMUser","accountId":"444455556666"}}`, func(t *testing.T, ev Event) {
			if ev.Account != "444455556666" {
				t.Errorf("Account: got %q; want 444455556666", ev.Account)
			}
		}},
		{"EC2 wrapped request and response", record("CreateVpcEndpoint", "ec2.amazonaws.com", `
			"requestParameters":{"CreateVpcEndpointRequest":{"VpcId":"vpc-1","ServiceName":"com.amazonaws.us-east-1.sagemaker.api","VpcEndpointType":"Interface",
				"SubnetId":[{"content":"subnet-1","tag":1},{"content":"subnet-2","tag":2}],"SecurityGroupId":{"content":"sg-1","tag":1},"PrivateDnsEnabled":false}},
			"responseElements":{"CreateVpcEndpointResponse":{"vpcEndpoint":{"vpcEndpointId":"vpce-1","privateDnsEnabled":"false","subnetIdSet":{"item":"subnet-1"},"tagSet":"","dnsEntrySet":""}}}`), func(t *testing.T, ev Event) {
			req := ev.Request.Get("CreateVpcEndpointRequest")
			if got := req.Get("SubnetId").Strings(); !slices.Equal(got, []string{"subnet-1", "subnet-2"}) {
				t.Errorf("SubnetId: got %q; want [subnet-1 subnet-2]", got)
			}
			if got := req.Get("SecurityGroupId").Strings(); !slices.Equal(got, []string{"sg-1"}) {
				t.Errorf("SecurityGroupId: got %q; want [sg-1]", got)
			}
			if b, ok := req.Get("privateDnsEnabled").Bool(); b || !ok {
				t.Errorf("request PrivateDnsEnabled: got %v, %v; want false, true", b, ok)
			}
			ep := ev.Response.Get("createVpcEndpointResponse", "vpcEndpoint")
			if b, ok := ep.Get("PrivateDnsEnabled").Bool(); b || !ok {
				t.Errorf("response privateDnsEnabled: got %v, %v; want false, true", b, ok)
			}
			if got := ep.Get("subnetIdSet").Strings(); !slices.Equal(got, []string{"subnet-1"}) {
				t.Errorf("subnetIdSet: got %q; want [subnet-1]", got)
			}
			if got := ep.Get("tagSet").List(); len(got) != 0 {
				t.Errorf("tagSet \"\": got %d items; want 0", len(got))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseOne([]byte(tt.input))
			if err != nil {
				t.Fatalf("ParseOne: got error %v; want nil", err)
			}
			tt.check(t, ev)
		})
	}
}

func TestEventBridgeFallbacks(t *testing.T) {
	// A detail without awsRegion or recipientAccountId takes them from the envelope.
	ev, err := ParseOne([]byte(eventBridge(`{"eventName":"CreateModel","eventSource":"sagemaker.amazonaws.com"}`)))
	if err != nil {
		t.Fatalf("ParseOne: got error %v; want nil", err)
	}
	if ev.Region != "eu-west-1" || ev.Account != "123456789012" {
		t.Errorf("got region=%q account=%q; want eu-west-1 123456789012 from the envelope", ev.Region, ev.Account)
	}
	// The record's region wins over the envelope's (the accounts agree).
	ev, err = ParseOne([]byte(eventBridge(record("CreateModel", "sagemaker.amazonaws.com", ""))))
	if err != nil {
		t.Fatalf("ParseOne: got error %v; want nil", err)
	}
	if ev.Region != "us-east-1" || ev.Account != "111122223333" {
		t.Errorf("got region=%q account=%q; want us-east-1 111122223333 from the record", ev.Region, ev.Account)
	}
	// The envelope's account as a number, and a case-insensitive detail-type key.
	in := `{"DETAIL-TYPE":"AWS API Call via CloudTrail","source":"aws.sagemaker","account":123456789012,"region":"eu-west-1","detail":{"eventName":"CreateModel","eventSource":"sagemaker.amazonaws.com"}}`
	ev, err = ParseOne([]byte(in))
	if err != nil {
		t.Fatalf("ParseOne(numeric account): got error %v; want nil", err)
	}
	if ev.Account != "123456789012" {
		t.Errorf("Account: got %q; want 123456789012", ev.Account)
	}
}

func TestIdentityPrincipal(t *testing.T) {
	tests := []struct {
		name     string
		identity string
		want     string
	}{
		{"IAMUser", `{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"}`, "arn:aws:iam::111122223333:user/bob"},
		{"AssumedRole with session issuer", `{"type":"AssumedRole","principalId":"AROA1:s","arn":"arn:aws:sts::111122223333:assumed-role/Admin/s",
			"sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/ops/Admin","userName":"Admin"}}}`, "arn:aws:iam::111122223333:role/ops/Admin"},
		{"AssumedRole without issuer falls back to the session ARN", `{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/s"}`, "arn:aws:sts::111122223333:assumed-role/Admin/s"},
		{"Root", `{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}`, "arn:aws:iam::111122223333:root"},
		{"AWSService", `{"type":"AWSService","invokedBy":"sagemaker.amazonaws.com"}`, "sagemaker.amazonaws.com"},
		{"AWSService with an ARN still names the service", `{"type":"AWSService","arn":"arn:aws:iam::1:role/x","invokedBy":"cloudformation.amazonaws.com"}`, "cloudformation.amazonaws.com"},
		{"FederatedUser", `{"type":"FederatedUser","principalId":"1:carol","arn":"arn:aws:sts::111122223333:federated-user/carol",
			"sessionContext":{"sessionIssuer":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/fedsvc","userName":"fedsvc"}}}`, "arn:aws:iam::111122223333:user/fedsvc"},
		{"IAMUser with a stray session issuer is the user", `{"type":"IAMUser","arn":"arn:aws:iam::1:user/u","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/r"}}}`, "arn:aws:iam::1:user/u"},
		{"only a principal id", `{"type":"Unknown","principalId":"P1"}`, "P1"},
		{"no identity", `null`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseOne([]byte(record("CreateModel", "sagemaker.amazonaws.com", `"userIdentity":`+tt.identity)))
			if err != nil {
				t.Fatalf("ParseOne: got error %v; want nil", err)
			}
			if got := ev.Identity.Principal(); got != tt.want {
				t.Errorf("Principal(): got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	ok := record("CreateModel", "sagemaker.amazonaws.com", "")
	tests := []struct {
		name  string
		input string
		want  []string // substrings of the error message
	}{
		{"empty", "", []string{"empty input"}},
		{"blank", " \n\t", []string{"empty input"}},
		{"truncated object", ok[:len(ok)/2], []string{"invalid JSON", "byte"}},
		{"truncated array", "[" + ok, []string{"invalid JSON"}},
		{"trailing garbage", ok + "}", []string{"invalid JSON"}},
		{"not JSON", "hello", []string{"invalid JSON"}},
		{"JSON string", `"CreateModel"`, []string{"not a CloudTrail event", "object or array"}},
		{"JSON number", `42`, []string{"not a CloudTrail event"}},
		{"JSON null", `null`, []string{"not a CloudTrail event"}},
		{"empty object", `{}`, []string{"eventName and eventSource are required"}},
		{"no eventSource", `{"eventName":"CreateModel"}`, []string{"eventSource"}},
		{"empty array", `[]`, []string{"empty array"}},
		{"array of arrays", `[[1]]`, []string{"item 0", "got JSON array, want object"}},
		{"array of null", `[null]`, []string{"item 0", "want a JSON object"}},
		{"empty Records", `{"Records":[]}`, []string{"Records is empty"}},
		{"Records not an array", `{"Records":{}}`, []string{"Records", "want array"}},
		{"Records as a string", `{"Records":"x"}`, []string{"Records", "got JSON string"}},
		{"Records holding null", `{"Records":[null]}`, []string{"Records[0]", "want a JSON object"}},
		{"eventName an object", `{"eventName":{},"eventSource":"s"}`, []string{"field eventName", "got JSON object, want string"}},
		{"eventSource an array", `{"eventName":"A","eventSource":["s"]}`, []string{"field eventSource", "got JSON array"}},
		{"awsRegion an object", record("A", "s", `"awsRegion":{}`), []string{"field awsRegion"}},
		{"eventID an array", `{"eventName":"A","eventSource":"s","eventID":[]}`, []string{"field eventID"}},
		{"eventTime an object", record("A", "s", `"eventTime":{}`), []string{"field eventTime"}},
		{"errorCode an object", record("A", "s", `"errorCode":{}`), []string{"field errorCode"}},
		{"userIdentity a string", record("A", "s", `"userIdentity":"bob"`), []string{"field userIdentity", "got JSON string, want object"}},
		{"userIdentity.type an array", record("A", "s", `"userIdentity":{"type":[1]}`), []string{"field userIdentity.type", "got JSON array, want string"}},
		{"userIdentity.arn an object", record("A", "s", `"userIdentity":{"arn":{}}`), []string{"field userIdentity.arn"}},
		{"sessionIssuer a string", record("A", "s", `"userIdentity":{"sessionContext":{"sessionIssuer":"x"}}`), []string{"field userIdentity.sessionContext.sessionIssuer", "want object"}},
		{"sessionIssuer.arn an array", record("A", "s", `"userIdentity":{"sessionContext":{"sessionIssuer":{"arn":[]}}}`), []string{"sessionIssuer.arn"}},
		{"requestParameters an array", record("A", "s", `"requestParameters":[1]`), []string{"requestParameters", "want a JSON object, got array"}},
		{"requestParameters a string", record("A", "s", `"requestParameters":"x"`), []string{"requestParameters", "got string"}},
		{"responseElements a number", record("A", "s", `"responseElements":5`), []string{"responseElements", "got number"}},
		{"responseElements a boolean", record("A", "s", `"responseElements":true`), []string{"responseElements", "got boolean"}},
		{"EventBridge without detail", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.sagemaker"}`, []string{"no detail"}},
		{"EventBridge with null detail", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.sagemaker","detail":null}`, []string{"no detail"}},
		{"EventBridge with a string detail", `{"detail-type":"AWS API Call via CloudTrail","detail":"x"}`, []string{"detail:", "want a JSON object"}},
		{"EventBridge with an empty detail", `{"detail-type":"AWS API Call via CloudTrail","detail":{}}`, []string{"detail:", "eventName and eventSource are required"}},
		{"unknown detail-type", `{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"state":"running"}}`, []string{"unsupported EventBridge detail-type", "EC2 Instance State-change Notification"}},
		{"detail-type an object", `{"detail-type":{},"detail":{}}`, []string{"field detail-type", "want string"}},
		{"detail-type a number", `{"detail-type":7,"detail":{}}`, []string{"unsupported EventBridge detail-type 7"}},
		{"EventBridge from another source", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":` + record("CreateModel", "sagemaker.amazonaws.com", "") + `}`, []string{`source "aws.s3" does not match`, "sagemaker.amazonaws.com"}},
		{"EventBridge from a custom source", `{"detail-type":"AWS API Call via CloudTrail","source":"com.example.fake","detail":` + record("CreateModel", "sagemaker.amazonaws.com", "") + `}`, []string{`"com.example.fake" does not match`}},
		{"invalid UTF-8", `{"eventName":"Create` + "\xff\xfe" + `Model","eventSource":"s"}`, []string{"invalid UTF-8 at byte 20"}},
		{"deeply nested array", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), []string{"invalid JSON", "max depth"}},
		{"deeply nested params", record("A", "s", `"requestParameters":`+strings.Repeat(`{"a":`, 20000)+"1"+strings.Repeat("}", 20000)), []string{"invalid JSON", "max depth"}},
		{"oversized record", record("A", "s", `"requestParameters":{"pad":"`+strings.Repeat("x", 5<<20)+`"}`), []string{"record is", "at most 256 KB"}},
		{"oversized EventBridge detail", eventBridge(record("A", "s", `"requestParameters":{"pad":"`+strings.Repeat("x", 5<<20)+`"}`)), []string{"detail: record is"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := Parse([]byte(tt.input))
			if err == nil {
				t.Fatalf("Parse: got %d events and no error; want an error containing %q", len(events), tt.want)
			}
			for _, sub := range tt.want {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error: got %q; want it to contain %q", err, sub)
				}
			}
			if _, err := ParseOne([]byte(tt.input)); err == nil {
				t.Errorf("ParseOne: got no error; want one")
			}
		})
	}
}

func TestParseOversizedInput(t *testing.T) {
	_, err := Parse(make([]byte, MaxInput+1))
	if err == nil || !strings.Contains(err.Error(), "the limit is") {
		t.Fatalf("Parse(MaxInput+1 bytes): got %v; want an error naming the limit", err)
	}
}

func TestParsePartialResults(t *testing.T) {
	good1 := record("CreateModel", "sagemaker.amazonaws.com", "")
	good2 := record("DeleteModel", "sagemaker.amazonaws.com", "")
	tests := []struct {
		name      string
		input     string
		wantNames []string
		wantErr   []string
	}{
		{"array with a bad element", "[" + good1 + `,{"eventName":"A"},` + good2 + "]", []string{"CreateModel", "DeleteModel"}, []string{"item 1", "eventSource"}},
		{"array with two bad elements", `[7,` + good1 + `,{"detail-type":"x"}]`, []string{"CreateModel"}, []string{"item 0", "item 2", "detail-type"}},
		{"log file with a bad record", `{"Records":[` + good1 + `,{"eventName":1,"eventSource":{}}]}`, []string{"CreateModel"}, []string{"Records[1]", "field eventSource"}},
		{"array holding a log file with a bad record", `[{"Records":[` + good1 + `,7]},` + good2 + `]`, []string{"CreateModel", "DeleteModel"}, []string{"item 0: Records[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := Parse([]byte(tt.input))
			if err == nil {
				t.Fatalf("Parse: got no error; want one naming the bad elements")
			}
			for _, sub := range tt.wantErr {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error: got %q; want it to contain %q", err, sub)
				}
			}
			var names []string
			for _, ev := range events {
				names = append(names, ev.Name)
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Errorf("good events: got %q; want %q", names, tt.wantNames)
			}
		})
	}
}

// TestParseRecordLimit: the 1 MB record limit falls on the same byte in
// every shape.
func TestParseRecordLimit(t *testing.T) {
	// padded returns a record of exactly n bytes.
	padded := func(n int) string {
		r := record("A", "sagemaker.amazonaws.com", `"pad":""`)
		return record("A", "sagemaker.amazonaws.com", `"pad":"`+strings.Repeat("x", n-len(r))+`"`)
	}
	shapes := []struct {
		name string
		wrap func(string) string
	}{
		{"bare", func(r string) string { return r }},
		{"array item", func(r string) string { return "[ " + r + " ]" }},
		{"EventBridge detail", func(r string) string { return eventBridge(" " + r + " ") }},
		{"log file record", func(r string) string { return `{"Records":[ ` + r + ` ]}` }},
	}
	for _, s := range shapes {
		for _, n := range []int{maxRecord, maxRecord + 1} {
			_, err := Parse([]byte(s.wrap(padded(n))))
			if gotErr := err != nil; gotErr != (n > maxRecord) {
				t.Errorf("%s record of %d bytes: got error %v; want one only over %d bytes", s.name, n, err, maxRecord)
			}
		}
	}
}

// TestParseIgnoresOtherShapesFields: a field that makes an object a log file
// or an EventBridge event is only read when it does; in a bare record it is
// ignored, whatever its type.
func TestParseIgnoresOtherShapesFields(t *testing.T) {
	for _, in := range []string{
		`{"eventName":"A","eventSource":"s","region":{},"source":[],"account":{}}`,
		`{"eventName":"A","eventSource":"s","detail":7}`,
		`{"eventName":"A","eventSource":"s","detail":{"x":1}}`,
		`{"Records":[{"eventName":"A","eventSource":"s","detail-type":{},"Records":7}]}`,
	} {
		if ev, err := ParseOne([]byte(in)); err != nil || ev.Name != "A" {
			t.Errorf("ParseOne(%s): got %q, %v; want event A", in, ev.Name, err)
		}
	}
}

func TestParseOneWantsExactlyOne(t *testing.T) {
	two := "[" + record("CreateModel", "sagemaker.amazonaws.com", "") + "," + record("DeleteModel", "sagemaker.amazonaws.com", "") + "]"
	if _, err := ParseOne([]byte(two)); err == nil || !strings.Contains(err.Error(), "want one CloudTrail event, got 2") {
		t.Errorf("ParseOne(two events): got %v; want an error saying it got 2", err)
	}
}

// TestParseSampleEvents reads every sample in events/: each parses without
// error into events with a name, a source, an account and a region.
func TestParseSampleEvents(t *testing.T) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("glob ../../events/*.json: got %d files, %v; want the samples", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			events, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: got error %v; want nil", err)
			}
			if len(events) == 0 {
				t.Fatalf("Parse: got 0 events; want at least 1")
			}
			for _, ev := range events {
				if ev.Name == "" || ev.Source == "" || ev.Account != "123456789012" || ev.Region != "us-east-1" || ev.ID == "" || ev.Time.IsZero() {
					t.Errorf("event %+v: want name, source, id, time, account 123456789012 and region us-east-1", ev)
				}
				// A call SageMaker made itself (a tuning job's trial) has
				// the service as its principal.
				if p := ev.Identity.Principal(); !strings.HasPrefix(p, "arn:aws:iam::123456789012:") &&
					(ev.Identity.Type != "AWSService" || p != ev.Identity.InvokedBy) {
					t.Errorf("Principal: got %q; want an IAM ARN in 123456789012, or the service of an AWSService call", p)
				}
			}
		})
	}
}

// TestParseBadCorpus reads testdata/bad: every file is refused with an error
// naming its problem, and none panics.
func TestParseBadCorpus(t *testing.T) {
	want := map[string]string{
		"truncated.json":                    "invalid JSON",
		"truncated-log-file.json":           "invalid JSON",
		"missing-detail.json":               "no detail",
		"unknown-detail-type.json":          "unsupported EventBridge detail-type",
		"other-source.json":                 "does not match detail.eventSource",
		"invalid-utf8.json":                 "invalid UTF-8",
		"deep-nesting.json":                 "max depth",
		"event-name-number-source-obj.json": "field eventSource",
		"user-identity-array.json":          "field userIdentity",
		"session-issuer-string.json":        "sessionIssuer",
		"request-parameters-array.json":     "requestParameters",
		"response-elements-string.json":     "responseElements",
		"records-object.json":               "Records",
		"detail-array.json":                 "detail:",
		"not-cloudtrail.json":               "eventName and eventSource are required",
		"empty.json":                        "empty input",
		"scalar.json":                       "not a CloudTrail event",
		"binary.json":                       "invalid UTF-8",
	}
	files, err := filepath.Glob("testdata/bad/*")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		name := filepath.Base(file)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			sub, ok := want[name]
			if !ok {
				t.Fatalf("no expected error for %s: add it to the table", name)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			events, err := Parse(data)
			if err == nil {
				t.Fatalf("Parse: got %d events and no error; want an error containing %q", len(events), sub)
			}
			if !strings.Contains(err.Error(), sub) {
				t.Errorf("error: got %q; want it to contain %q", err, sub)
			}
		})
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("testdata/bad/%s: missing from the corpus", name)
		}
	}
}

// TestEnvelopeAccountMustBeTheRecipient: an event forwarded from a member
// account names that account in its envelope and its record; one that names
// two accounts is refused, naming both.
func TestEnvelopeAccountMustBeTheRecipient(t *testing.T) {
	event := func(envelope, recipient string) string {
		return `{"detail-type":"AWS API Call via CloudTrail","source":"aws.sagemaker","account":"` + envelope + `","region":"us-east-1",
		"detail":{"eventSource":"sagemaker.amazonaws.com","eventName":"CreateModel","awsRegion":"us-east-1","recipientAccountId":"` + recipient + `"}}`
	}
	ev, err := ParseOne([]byte(event("222233334444", "222233334444")))
	if err != nil || ev.Account != "222233334444" {
		t.Errorf("agreeing accounts: %+v, %v; want account 222233334444", ev.Account, err)
	}
	_, err = ParseOne([]byte(event("111122223333", "222233334444")))
	if err == nil || !strings.Contains(err.Error(), `"111122223333"`) || !strings.Contains(err.Error(), `"222233334444"`) {
		t.Errorf("disagreeing accounts: %v; want an error naming both", err)
	}
	ev, err = ParseOne([]byte(`{"detail-type":"AWS API Call via CloudTrail","source":"aws.sagemaker","account":"222233334444","region":"us-east-1",
		"detail":{"eventSource":"sagemaker.amazonaws.com","eventName":"CreateModel","awsRegion":"us-east-1"}}`))
	if err != nil || ev.Account != "222233334444" {
		t.Errorf("record without recipientAccountId: %+v, %v; want the envelope's account", ev.Account, err)
	}
}
