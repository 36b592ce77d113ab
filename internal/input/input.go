// Package input turns a file given to `kmslint lint` into the key policies
// it holds: a raw key policy (JSON), a CloudFormation template (JSON or YAML,
// CDK synth output included), Terraform's JSON plan or state, or Terraform
// configuration (.tf). Every policy is a policy.Node tree whose positions
// point into the file it is written in, at the real place of each element,
// so findings can be reported there.
package input

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kmslint/kmslint/internal/input/cfn"
	"github.com/kmslint/kmslint/internal/input/deploy"
	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/input/tfhcl"
	"github.com/kmslint/kmslint/internal/input/tfplan"
	"github.com/kmslint/kmslint/internal/policy"
)

// Format is the kind of a file.
type Format string

const (
	FormatUnknown        Format = ""
	FormatPolicy         Format = "policy"
	FormatCloudFormation Format = "cloudformation"
	FormatTerraform      Format = "terraform"
	// FormatTerraformHCL is Terraform configuration in HCL (.tf).
	FormatTerraformHCL Format = "terraform-hcl"
)

// Note is a remark about a position of the file.
type Note = source.Note

// Env supplies the values of CloudFormation pseudo parameters and template
// parameters. An empty AccountID or Region makes ${AWS::AccountId} or
// ${AWS::Region} (and Terraform's aws_caller_identity and aws_region) the
// placeholders of package deploy, listed in Document.Deploying.
type Env = cfn.Env

// Document is one key policy found in a file.
type Document struct {
	// File is the file the policy is written in: the file given, or for
	// Terraform configuration a sibling .tf file or the JSON file of
	// file() when the policy is written there.
	File   string
	Format Format
	// Resource names the key: the CloudFormation logical ID or the
	// Terraform address (module.kms.aws_kms_key.this); empty for a raw policy.
	Resource string
	// Policy is the key policy, with positions in File.
	Policy *policy.Node
	// Size is the length in bytes of the policy as compact JSON, the form
	// that KMS's 32 KB limit is checked on.
	Size int
	// Unresolved lists the CloudFormation intrinsic functions whose value is
	// not known before deployment; the policy holds a placeholder such as
	// ${Fn::GetAtt Role.Arn} there, which matches no real value.
	Unresolved []Note
	// Placeholders are the strings standing for the unresolved values.
	Placeholders []string
	// Notes are other remarks: a default key policy applied, a condition
	// that could not be evaluated.
	Notes []Note
	// Deploying lists the deploying account, region and partition the
	// policy uses and Env did not give: the policy holds the placeholders of
	// package deploy there, which stand for the key's own account, region
	// and partition.
	Deploying []deploy.Use
}

// File is what a file holds.
type File struct {
	Path      string
	Format    Format
	Documents []Document
	// Notes are about keys that have no Document: a Terraform policy known
	// only after apply, a CloudFormation key whose condition is false.
	Notes []Note
}

// Error is an input error: a file that cannot be read, or is none of the
// kinds kmslint reads. Syntax errors are *policy.SyntaxError.
type Error struct {
	File string
	Pos  policy.Pos // zero when there is no position
	Msg  string
}

func (e *Error) Error() string {
	if !e.Pos.Known() {
		return e.File + ": " + e.Msg
	}
	return e.File + ":" + strconv.Itoa(e.Pos.Line) + ":" + strconv.Itoa(e.Pos.Col) + ": " + e.Msg
}

// notAKind is the message for a well-formed file of another kind.
const notAKind = "not a key policy, CloudFormation template, Terraform plan or Terraform configuration"

// parsed is a file read as JSON or YAML.
type parsed struct {
	root   *policy.Node
	yaml   bool
	format Format
}

// parse reads data as JSON when it starts like a JSON object or array, and
// as YAML otherwise: a key policy must be JSON, and reading a broken JSON
// file as YAML would hide its syntax error behind a vaguer one.
func parse(file string, data []byte) (*parsed, error) {
	p := &parsed{}
	var err error
	if looksLikeJSON(data) {
		p.root, err = policy.ParseJSON(file, data)
	} else if off := binaryAt(data); off >= 0 {
		// The YAML parser would call this "invalid YAML", which sends the
		// user looking for a YAML mistake in a file that is no text at all.
		return nil, &policy.SyntaxError{File: file, Pos: posAt(data, off),
			Msg: fmt.Sprintf("binary file (byte 0x%02x), not JSON or YAML text", data[off])}
	} else {
		p.yaml = true
		p.root, err = cfn.ParseYAML(file, data)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case cfn.IsTemplate(p.root):
		p.format = FormatCloudFormation
	case p.yaml:
	case tfplan.IsPlan(p.root):
		p.format = FormatTerraform
	case p.root.Kind == policy.KindObject && p.root.Get("Statement") != nil:
		p.format = FormatPolicy
	}
	return p, nil
}

// binaryAt is the offset of the first byte that JSON and YAML text never
// holds (NUL or another C0 control character than tab, newline and carriage
// return, or DEL), or -1. UTF-16 text, which YAML allows, starts with a byte
// order mark and is left to the YAML parser.
func binaryAt(data []byte) int {
	if bytes.HasPrefix(data, []byte("\xFF\xFE")) || bytes.HasPrefix(data, []byte("\xFE\xFF")) {
		return -1
	}
	for i, c := range data {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return i
		}
	}
	return -1
}

// posAt is the 1-based line and byte column of offset off.
func posAt(data []byte, off int) policy.Pos {
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	return policy.Pos{Line: line, Col: off - bytes.LastIndexByte(data[:off], '\n')}
}

func looksLikeJSON(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && (data[0] == '{' || data[0] == '[')
}

// Detect tells which kind of file data is, FormatUnknown when it is none or
// not JSON/YAML at all.
func Detect(data []byte) Format {
	p, err := parse("", data)
	if err != nil {
		return FormatUnknown
	}
	return p.format
}

// Load reads the key policies of one file. The error is a
// *policy.SyntaxError for a file that is not JSON/YAML/HCL (or for a policy
// string inside it that is not JSON), or an *Error for a file of none of the
// kinds; both print as FILE:LINE:COL: message.
func Load(file string, data []byte, env Env) (*File, error) {
	f, _, err := load(file, data, env)
	return f, err
}

// load is Load, also telling the kind of the file when it fails to load
// (FormatUnknown when the kind cannot be told).
func load(file string, data []byte, env Env) (*File, Format, error) {
	if isHCLName(file) {
		f, err := loadHCL(file, data, env, file != StdinName)
		return f, FormatTerraformHCL, err
	}
	p, err := parse(file, data)
	if (err != nil || p.format == FormatUnknown) && looksLikeHCL(data) {
		// Standard input or a file without the .tf name: Terraform
		// configuration is not JSON, and YAML only by accident.
		f, herr := loadHCL(file, data, env, false)
		return f, FormatTerraformHCL, herr
	}
	if err != nil {
		return nil, FormatUnknown, err
	}
	out := &File{Path: file, Format: p.format}
	switch p.format {
	case FormatPolicy:
		out.Documents = []Document{newDocument(file, FormatPolicy, "", p.root)}
	case FormatCloudFormation:
		keys, notes, err := cfn.Keys(&cfn.Template{File: file, Text: source.NewText(data, p.yaml), Root: p.root, YAML: p.yaml}, env)
		if err != nil {
			return nil, p.format, err
		}
		out.Notes = notes
		for _, k := range keys {
			d := newDocument(file, FormatCloudFormation, k.Resource, k.Policy)
			d.Unresolved, d.Placeholders, d.Notes, d.Deploying = k.Unresolved, k.Placeholders, k.Notes, k.Deploying
			out.Documents = append(out.Documents, d)
		}
		out.noteDeploying()
	case FormatTerraform:
		keys, notes, err := tfplan.Keys(file, source.NewText(data, false), p.root)
		if err != nil {
			return nil, p.format, err
		}
		out.Notes = notes
		for _, k := range keys {
			out.Documents = append(out.Documents, newDocument(file, FormatTerraform, k.Address, k.Policy))
		}
	default:
		msg := notAKind
		if p.root == nil {
			msg = "empty file: " + notAKind
		}
		if p.yaml && p.root != nil && p.root.Get("Statement") != nil {
			msg += " (a key policy must be JSON)"
		}
		pos := policy.Pos{Line: 1, Col: 1}
		if p.root != nil {
			pos = p.root.Pos
		}
		return nil, FormatUnknown, &Error{File: file, Pos: pos, Msg: msg}
	}
	return out, p.format, nil
}

// isHCLName tells Terraform configuration by its name.
func isHCLName(file string) bool {
	return strings.HasSuffix(strings.ToLower(file), ".tf")
}

// hclBlock is a line that opens a Terraform block.
var hclBlock = regexp.MustCompile(`(?m)^\s*(?:(?:resource|data)\s+"[^"\n]*"\s+"[^"\n]*"|(?:variable|module|provider|output)\s+"[^"\n]*"|locals|terraform)\s*\{`)

// looksLikeHCL: a line opens a Terraform block.
func looksLikeHCL(data []byte) bool {
	return hclBlock.Match(data)
}

// loadHCL reads Terraform configuration; module reads the sibling files of
// its directory too.
func loadHCL(file string, data []byte, env Env, module bool) (*File, error) {
	keys, notes, err := tfhcl.Keys(file, data, tfhcl.Env{AccountID: env.AccountID, Region: env.Region, Partition: env.Partition, Module: module})
	if err != nil {
		return nil, err
	}
	out := &File{Path: file, Format: FormatTerraformHCL, Notes: notes}
	for _, k := range keys {
		d := newDocument(k.File, FormatTerraformHCL, k.Address, k.Policy)
		d.Unresolved, d.Placeholders, d.Notes, d.Deploying = k.Unresolved, k.Placeholders, k.Notes, k.Deploying
		out.Documents = append(out.Documents, d)
	}
	out.noteDeploying()
	return out, nil
}

// noteDeploying adds the file's one note on the deploying placeholders its
// documents use, at the first document.
func (f *File) noteDeploying() {
	var uses deploy.Uses
	for _, d := range f.Documents {
		for _, u := range d.Deploying {
			uses.Add(u.Param, u.As)
		}
	}
	if note := deploy.Note(uses.List()); note != "" {
		n := Note{Pos: f.Documents[0].Policy.Pos, Message: note}
		if d := f.Documents[0]; d.File != f.Path {
			n.File = d.File
		}
		f.Notes = append(f.Notes, n)
	}
}

func newDocument(file string, f Format, resource string, root *policy.Node) Document {
	return Document{File: file, Format: f, Resource: resource, Policy: root, Size: len(root.AppendJSON(nil))}
}
