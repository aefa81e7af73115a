"""The IAM part of the walkthrough driven by boto3 against a fnurl server.

Usage: boto3_iam.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
Prints one JSON object: what each step returned (or the error code).
"""
import json
import sys

import boto3
import botocore.exceptions

endpoint, key_id, secret = sys.argv[1:4]


def client(service, k, s, token=None):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=k, aws_secret_access_key=s, aws_session_token=token,
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def code(fn):
    try:
        fn()
        return "ok"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


out = {}
iam = client("iam", key_id, secret)
out["user_arn"] = iam.create_user(UserName="carol")["User"]["Arn"]
out["duplicate"] = code(lambda: iam.create_user(UserName="carol"))
k = iam.create_access_key(UserName="carol")["AccessKey"]
carol_iam = client("iam", k["AccessKeyId"], k["SecretAccessKey"])
carol_sts = client("sts", k["AccessKeyId"], k["SecretAccessKey"])
out["denied_before"] = code(lambda: carol_iam.list_users())
doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})
arn = iam.create_policy(PolicyName="list", PolicyDocument=doc)["Policy"]["Arn"]
out["malformed"] = code(lambda: iam.create_policy(PolicyName="bad", PolicyDocument="{"))
iam.attach_user_policy(UserName="carol", PolicyArn=arn)
out["allowed_after_attach"] = code(lambda: carol_iam.list_users())
out["delete_attached_policy"] = code(lambda: iam.delete_policy(PolicyArn=arn))
iam.detach_user_policy(UserName="carol", PolicyArn=arn)
out["denied_after_detach"] = code(lambda: carol_iam.list_users())
creds = carol_sts.get_session_token(DurationSeconds=900)["Credentials"]
session = client("sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
out["session_arn"] = session.get_caller_identity()["Arn"]
out["session_key_prefix"] = creds["AccessKeyId"][:4]
# The policy document comes back decoded (botocore url-decodes it).
out["policy_version_doc"] = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
print(json.dumps(out))
