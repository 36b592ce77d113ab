package cloudtrail

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kmslint/kmslint/internal/arn"
)

// skipReason says why a file or directory met while walking a directory or
// listing an S3 prefix is left out, or "" when it is to be read (or, for a
// directory, descended into). full is the slash-separated path or key, used to
// recognise the S3 layout CloudTrail delivers to:
//
//	[prefix/]AWSLogs/[o-orgid/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<time>_<unique>.json.gz
//	[prefix/]AWSLogs/[o-orgid/]<account>/CloudTrail-Digest/<region>/.../<account>_CloudTrail-Digest_<region>_<trail>_<region>_<time>.json.gz
//
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html,
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html).
// Other services deliver into the same AWSLogs/<account>/ tree (Config, load
// balancer and flow logs), so under it only the CloudTrail folders count.
// rel is the part below what the user named, where hidden names are skipped;
// above it the user chose the path.
func skipReason(full, rel string, dir bool) string {
	for _, seg := range strings.Split(rel, "/") {
		if len(seg) > 1 && seg[0] == '.' && seg != ".." {
			return "hidden"
		}
	}
	segs := strings.Split(full, "/")
	dirs := segs
	if !dir {
		dirs = segs[:len(segs)-1]
	}
	if slices.Contains(dirs, "CloudTrail-Digest") {
		return "CloudTrail digest files"
	}
	for i, seg := range dirs {
		switch seg {
		case "AWSLogs":
			j := i + 1
			if j < len(dirs) && strings.HasPrefix(dirs[j], "o-") {
				j++
			}
			if j+1 < len(dirs) && arn.IsAccountID(dirs[j]) {
				switch service := dirs[j+1]; service {
				case "CloudTrail", "CloudTrail-Insight":
				default:
					return fmt.Sprintf("not CloudTrail logs (AWSLogs/.../%s)", service)
				}
			}
		}
	}
	if dir {
		return ""
	}
	base := segs[len(segs)-1]
	if strings.Contains(base, "_CloudTrail-Digest_") {
		return "CloudTrail digest file"
	}
	if !hasLogExtension(base) {
		return "not a .json, .jsonl or .ndjson file (optionally .gz)"
	}
	return ""
}

func hasLogExtension(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	for _, ext := range []string{".json", ".jsonl", ".ndjson"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}
