"""A user pool in moto's Cognito stand-in for the identity trigger's check (see check.sh).

Makes a pool with a finance user who has an authenticator app (MFA) and one who has not, and
writes one pre-token-generation event per case into the given directory.
"""
import json
import sys

import boto3

endpoint, work, fixture = sys.argv[1], sys.argv[2], sys.argv[3]
idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="local", aws_secret_access_key="local")
pool = idp.create_user_pool(PoolName="aftersales", MfaConfiguration="OPTIONAL")["UserPool"]["Id"]
client = idp.create_user_pool_client(
    UserPoolId=pool, ClientName="check",
    ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
password = "Check-Passw0rd-1234"
for user in ("fin-with-mfa", "fin-without-mfa"):
    idp.admin_create_user(UserPoolId=pool, Username=user)
    idp.admin_set_user_password(UserPoolId=pool, Username=user, Password=password, Permanent=True)
# An authenticator app, set up as a user does it: associate, verify, prefer.
token = idp.admin_initiate_auth(
    UserPoolId=pool, ClientId=client, AuthFlow="ADMIN_NO_SRP_AUTH",
    AuthParameters={"USERNAME": "fin-with-mfa", "PASSWORD": password})["AuthenticationResult"]["AccessToken"]
idp.associate_software_token(AccessToken=token)
idp.verify_software_token(AccessToken=token, UserCode="123456")
idp.admin_set_user_mfa_preference(UserPoolId=pool, Username="fin-with-mfa",
                                  SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})

template = json.load(open(fixture))
for name, user, group, pool_id in [
    ("agent", "agent-1", "agent", pool),
    ("finance-mfa", "fin-with-mfa", "finance", pool),
    ("finance-no-mfa", "fin-without-mfa", "finance", pool),
    ("admin-unknown-pool", "fin-with-mfa", "admin", "us-east-1_Unknown"),
]:
    event = json.loads(json.dumps(template).replace("USER_POOL_ID", pool_id).replace("USER_NAME", user).replace("GROUP", group))
    json.dump(event, open(f"{work}/identity-{name}.json", "w"))
