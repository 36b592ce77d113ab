package deploy

import "testing"

func TestUses(t *testing.T) {
	var u Uses
	u.Add(PartitionParam, "${AWS::Partition}")
	u.Add(AccountParam, "${AWS::AccountId}")
	u.Add(AccountParam, "${data.aws_caller_identity.me.account_id}") // the first spelling stays
	list := u.List()
	if len(list) != 2 || list[0].Param != AccountParam || list[0].As != "${AWS::AccountId}" || list[1].Param != PartitionParam {
		t.Fatalf("List = %+v", list)
	}
	if got, want := Note(list), "${AWS::AccountId} and ${AWS::Partition} stand for the account and partition deployed to, linted as 000000000000 and aws (the key's own); give --account and --region to lint for particular ones"; got != want {
		t.Errorf("Note\n got %s\nwant %s", got, want)
	}
	if got := Note(list[:1]); got[:len("${AWS::AccountId} stands for")] != "${AWS::AccountId} stands for" {
		t.Errorf("Note of one: %s", got)
	}
	msg := "arn:aws:iam::000000000000:root in deploying-region-1 of partition aws"
	uses := []Use{{AccountParam, "${AWS::AccountId}"}, {RegionParam, "${AWS::Region}"}, {PartitionParam, "${AWS::Partition}"}}
	if got, want := Spell(msg, uses), "arn:aws:iam::${AWS::AccountId}:root in ${AWS::Region} of partition aws"; got != want {
		t.Errorf("Spell = %s, want %s", got, want)
	}
	if _, ok := Find(uses[:1], RegionParam); ok {
		t.Error("Find found a region among account uses")
	}
}
