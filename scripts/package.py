"""`make package`: `chalice package` with a merged template that adds the table, the photo bucket, alarms and
secrets; the package carries the compiled message catalogs, the crawler index, and only our languages' share of Babel's
locale data.

Writes dist/<stage>/sam.json (SAM/CloudFormation), dist/<stage>/deployment.zip and
dist/<stage>/merge-template.json (what was merged), and dist/<stage>/table.json (the table alone,
for users who deploy the functions with `chalice deploy`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.referrals.pools import AVAILABLE_METRICS, LOW_CODES  # noqa: E402
from chalicelib.store.schema import cloudformation_table  # noqa: E402
from chalicelib.web.languages import LANGUAGES  # noqa: E402

TABLE = "ProofloopTable"
DB_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
]
ALARM_TOPIC = "AlarmTopic"
PHOTO_BUCKET = "PhotoBucket"
UPLOAD_QUEUE = "PhotoUploadQueue"  # S3 tells it of each upload; the process_uploads function reads it
# The functions read, write and delete photo objects; ListBucket makes a missing object a 404 (an upload not
# arrived yet), not a 403.
PHOTO_OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
# The due work decodes photos (up to 40 megapixels) and draws share cards. `make bench` measures a 12 MP photo
# at ~190 MiB for the whole process (+165 MiB over its start) in ~0.5 s: the 40 MP bound scales to ~0.6 GB, so
# 1 GB, which also buys the CPU that halves the time (Lambda's CPU follows memory). The API stays at 512 MB.
DUE_WORK_MEMORY_MB = 1024
# What CloudWatch Logs accepts as a retention (days).
# fmt: off
LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
                      3653]
# fmt: on
# The app's own metrics, named as Powertools emits them (chalicelib/observability.py).
APP_METRICS = {"Namespace": "Proofloop", "Dimensions": [{"Name": "service", "Value": "proofloop"}]}
# Babel ships the CLDR data of every locale (about 1,100 files, 30 MB); we format for our languages only, and a
# language's data is read together with its parent, root.
LOCALE_DATA = "babel/locale-data/"
KEPT_LOCALE_DATA = frozenset(f"{LOCALE_DATA}{name}.dat" for name in ("root", *LANGUAGES))


def _chalice_package(stage: str, out: Path, merge: Path | None = None) -> dict[str, Any]:
    cmd = [str(Path(sys.executable).parent / "chalice"), "package", "--stage", stage]
    if merge:
        cmd += ["--merge-template", str(merge)]
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    subprocess.run([*cmd, str(out)], cwd=ROOT, check=True, env=env)
    template: dict[str, Any] = json.loads((out / "sam.json").read_text())
    return template


def _role_policy(role: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    table_arn = {"Fn::GetAtt": [TABLE, "Arn"]}
    index_arn = {"Fn::Sub": "${ProofloopTable.Arn}/index/*"}
    db = {"Sid": "ProofloopTable", "Effect": "Allow", "Action": DB_ACTIONS, "Resource": [table_arn, index_arn]}
    photos = {
        "Sid": "PhotoObjects",
        "Effect": "Allow",
        "Action": PHOTO_OBJECT_ACTIONS,
        "Resource": {"Fn::Sub": f"${{{PHOTO_BUCKET}.Arn}}/*"},
    }
    listing = {
        "Sid": "PhotoBucketList",
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": {"Fn::GetAtt": [PHOTO_BUCKET, "Arn"]},
    }
    queue = {
        "Sid": "PhotoUploadQueue",
        "Effect": "Allow",
        "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
        "Resource": {"Fn::GetAtt": [UPLOAD_QUEUE, "Arn"]},
    }
    ours = {"ProofloopTable", "PhotoObjects", "PhotoBucketList", "PhotoUploadQueue"}
    others = [s for s in statements if s.get("Sid") not in ours]
    document = {"Version": "2012-10-17", "Statement": [db, photos, listing, queue, *others]}
    return {"Properties": {"Policies": [{"PolicyName": f"{role}Policy", "PolicyDocument": document}]}}


def _upload_queue(name: str) -> dict[str, Any]:
    """The queue S3 notifies of each upload (named as app.py's handler names it), and S3's right to send.

    The policy names the account, not the bucket: the bucket's notification refers to the queue, so a
    condition on the bucket's ARN would make a cycle."""
    return {
        UPLOAD_QUEUE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": name,
                "SqsManagedSseEnabled": True,
                "VisibilityTimeout": 120,  # six times the function's timeout, as Lambda asks of an event source
                "MessageRetentionPeriod": 86400,  # the due work processes whatever a lost message left behind
            },
        },
        "PhotoUploadQueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": UPLOAD_QUEUE}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "S3Notifies",
                            "Effect": "Allow",
                            "Principal": {"Service": "s3.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": {"Fn::GetAtt": [UPLOAD_QUEUE, "Arn"]},
                            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                        }
                    ],
                },
            },
        },
    }


def _upload_queue_name(base: dict[str, Any]) -> tuple[str, str, str] | None:
    """(function, event, queue name) of the function Chalice made for the uploads queue, if there is one."""
    for name, res in base["Resources"].items():
        for event_name, event in (res.get("Properties", {}).get("Events") or {}).items():
            queue = event.get("Properties", {}).get("Queue", {})
            arn = queue.get("Fn::Sub", "") if isinstance(queue, dict) else str(queue)
            if event.get("Type") == "SQS" and "photo-uploads" in arn:
                return name, event_name, arn.rsplit(":", 1)[-1]
    return None


def _expire(rule_id: str, prefix: str, days: int) -> dict[str, Any]:
    """A lifecycle rule: objects under `prefix` (and uploads of them left unfinished) go after `days`."""
    return {
        "Id": rule_id,
        "Status": "Enabled",
        "Prefix": prefix,
        "ExpirationInDays": days,
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }


def _photo_bucket() -> dict[str, Any]:
    """Private photos: encrypted, never public, CORS for the review form's origin only, originals gone in a day.

    Uploads land under uploads/ through presigned POSTs; the due work re-encodes them under photos/ and
    deletes the original, so the lifecycle rule only ever finds uploads that were never processed or attached.
    Reads are presigned GETs, or go through a CloudFront distribution given as MediaBaseUrl."""
    return {
        PHOTO_BUCKET: {
            "Type": "AWS::S3::Bucket",
            "DependsOn": "PhotoUploadQueuePolicy",  # S3 checks it may send before it saves the notification
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "CorsConfiguration": {
                    "CorsRules": [
                        {
                            "AllowedOrigins": [{"Ref": "FormOrigin"}],
                            "AllowedMethods": ["POST", "GET"],
                            "AllowedHeaders": ["*"],
                            "MaxAge": 3600,
                        }
                    ]
                },
                "NotificationConfiguration": {
                    "QueueConfigurations": [
                        {
                            "Event": "s3:ObjectCreated:*",
                            "Queue": {"Fn::GetAtt": [UPLOAD_QUEUE, "Arn"]},
                            "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "uploads/"}]}},
                        }
                    ]
                },
                "LifecycleConfiguration": {
                    "Rules": [
                        _expire("UnprocessedUploadsExpire", "uploads/", days=1),
                        # A large review feed is stored for the redirect that answers its fetch; the next
                        # fetch writes it again (chalicelib/spool.py).
                        _expire("StoredFeedsExpire", "feeds/", days=2),
                        # A review CSV the console's import checks, then imports, then deletes; one never
                        # confirmed (or whose import stopped) holds reviewers' emails no longer than this.
                        _expire("ImportFilesExpire", "imports/", days=1),
                        # An export too large for a response is stored for the redirect that answers it.
                        _expire("StoredExportsExpire", "exports/", days=1),
                    ]
                },
            },
        },
        "PhotoBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": PHOTO_BUCKET},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [
                                {"Fn::GetAtt": [PHOTO_BUCKET, "Arn"]},
                                {"Fn::Sub": f"${{{PHOTO_BUCKET}.Arn}}/*"},
                            ],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                },
            },
        },
    }


def _alarm(
    description: str,
    metric: dict[str, Any],
    threshold: int = 1,
    period: int = 300,
    periods: int = 1,
) -> dict[str, Any]:
    """An alarm on a Sum reaching `threshold` in each of `periods` periods in a row; missing data is fine."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            **metric,
            "Statistic": "Sum",
            "Period": period,
            "EvaluationPeriods": periods,
            "DatapointsToAlarm": periods,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": ALARM_TOPIC}],
            "OKActions": [{"Ref": ALARM_TOPIC}],
        },
    }


def _low_codes_alarm() -> dict[str, Any]:
    """ReferralCodesLow: the fewest codes a referral pool had available in a period is below LOW_CODES. Each pool's
    count is a metric emitted when codes are added or handed out (chalicelib/referrals/pools.py); the alarm takes
    the lowest of them. A pool nobody touches emits nothing and alarms on nothing."""
    pools = [
        {
            "Id": pool,
            "MetricStat": {"Metric": {**APP_METRICS, "MetricName": name}, "Period": 300, "Stat": "Minimum"},
            "ReturnData": False,
        }
        for pool, name in AVAILABLE_METRICS.items()
    ]
    lowest = {
        "Id": "lowest",
        "Expression": f"MIN([{', '.join(AVAILABLE_METRICS)}])",
        "Label": "the fewest codes available in a referral pool",
        "ReturnData": True,
    }
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": f"a referral code pool has fewer than {LOW_CODES} codes available (the log's "
            "'referral codes low' lines name the shop and pool; the owner uploads more)",
            "Metrics": [*pools, lowest],
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "Threshold": LOW_CODES,
            "ComparisonOperator": "LessThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": ALARM_TOPIC}],
            "OKActions": [{"Ref": ALARM_TOPIC}],
        },
    }


def _alarm_topic() -> dict[str, Any]:
    """Where alarms go: an SNS topic, mailed to AlarmEmail when one is given.

    Encrypted with its own key: CloudWatch cannot publish to a topic under the AWS-managed alias/aws/sns key,
    whose policy cannot grant it the key, so alarms would go nowhere without a word."""
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            },
        ],
    }
    return {
        "AlarmTopicKey": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "Description": "proofloop alarm topic",
                "EnableKeyRotation": True,
                "KeyPolicy": key_policy,
            },
        },
        ALARM_TOPIC: {
            "Type": "AWS::SNS::Topic",
            "Properties": {"DisplayName": "proofloop alarms", "KmsMasterKeyId": {"Ref": "AlarmTopicKey"}},
        },
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {"TopicArn": {"Ref": ALARM_TOPIC}, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}},
        },
    }


def merge_template(base: dict[str, Any]) -> dict[str, Any]:
    """What we add to Chalice's template: the table, secrets as parameters, alarms that notify, log retention,
    a JSON 404."""
    resources: dict[str, Any] = dict(cloudformation_table(TABLE))
    resources.update(_photo_bucket())
    uploads = _upload_queue_name(base)
    resources.update(_upload_queue(uploads[2] if uploads else "proofloop-photo-uploads"))
    functions = [name for name, r in base["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    for name, res in base["Resources"].items():
        if res["Type"] == "AWS::IAM::Role":
            statements = res["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            resources[name] = _role_policy(name, statements)
    for name in functions:
        resources[name] = {
            "Properties": {
                "Environment": {
                    "Variables": {
                        "PROOFLOOP_TABLE": {"Ref": TABLE},
                        "PROOFLOOP_ADMIN_TOKEN": {"Ref": "AdminToken"},
                        "PROOFLOOP_SIGNING_SECRET": {"Ref": "SigningSecret"},
                        "PROOFLOOP_BASE_URL": {"Ref": "PublicBaseUrl"},
                        "PROOFLOOP_MAIL_FROM": {"Ref": "MailFrom"},
                        "PROOFLOOP_MAIL_BACKEND": "ses",
                        "PROOFLOOP_PHOTO_BUCKET": {"Ref": PHOTO_BUCKET},
                        "PROOFLOOP_MEDIA_BASE_URL": {"Ref": "MediaBaseUrl"},
                    }
                }
            }
        }
        if base["Resources"][name]["Properties"].get("Handler") in ("app.run_due_work", "app.process_uploads"):
            resources[name]["Properties"]["MemorySize"] = DUE_WORK_MEMORY_MB  # photos are processed there
        resources[f"{name}ErrorsAlarm"] = _alarm(
            f"proofloop {name} raised errors",
            {
                "Namespace": "AWS/Lambda",
                "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": name}}],
            },
        )
        # The group Lambda would otherwise create on first use, keeping logs forever.
        resources[f"{name}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{name}}}"},
                "RetentionInDays": {"Ref": "LogRetentionDays"},
            },
        }
    if uploads:
        # Chalice names the queue by its ARN, a string: the queue must exist before the function's event source.
        resources[uploads[0]]["DependsOn"] = [UPLOAD_QUEUE]
    if "RestAPI" in base["Resources"]:
        resources["NotFoundResponse"] = {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": {
                "RestApiId": {"Ref": "RestAPI"},
                "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
                "StatusCode": "404",
                "ResponseTemplates": {
                    "application/json": '{"error": {"code": "not_found", "message": "no such route or method"}}'
                },
            },
        }
        resources["Api5xxAlarm"] = _alarm(
            "proofloop API answered 5xx (storefronts will retry)",
            {
                "Namespace": "AWS/ApiGateway",
                "MetricName": "5XXError",
                "Dimensions": [{"Name": "ApiName", "Value": "proofloop"}],
            },
            threshold=5,
        )
    resources["TableThrottleAlarm"] = _alarm(
        "proofloop table requests were throttled",
        {
            "Namespace": "AWS/DynamoDB",
            "MetricName": "ThrottledRequests",
            "Dimensions": [{"Name": "TableName", "Value": {"Ref": TABLE}}],
        },
    )
    # The schedule runs every 10 minutes: three periods in a row is every run for half an hour.
    resources["DueWorkCutShortAlarm"] = _alarm(
        "proofloop due work ran out of time with work left in every run for 30 minutes (it is falling behind)",
        {**APP_METRICS, "MetricName": "DueWorkCutShort"},
        period=600,
        periods=3,
    )
    # Any due item (a review email, an outbound event, a photo, a card, an import, an erasure) that failed its
    # last attempt, or a refused address: parked for its owner, listed in the console's overview with a retry.
    resources["DueItemParkedAlarm"] = _alarm(
        "proofloop parked a due item after its last attempt (see the shop's console overview, and the log's "
        "'due item parked' lines)",
        {**APP_METRICS, "MetricName": "DueItemParked"},
    )
    # SES refuses every review email (an unverified sender, a missing configuration set, no permission): counted
    # once a run, while the requests wait for the account to be put right.
    resources["MailSendingRefusedAlarm"] = _alarm(
        "SES refuses every review email from this account (sender not verified, configuration set, permission); "
        "the requests wait, unsent, until it is put right",
        {**APP_METRICS, "MetricName": "MailSendingRefused"},
    )
    resources["ReferralCodesLowAlarm"] = _low_codes_alarm()
    resources.update(_alarm_topic())
    return {
        "Parameters": {
            "AdminToken": {
                "Type": "String",
                "NoEcho": True,
                "MinLength": 24,
                "Description": "bearer token for POST /shops and /admin routes",
            },
            "SigningSecret": {
                "Type": "String",
                "NoEcho": True,
                "MinLength": 32,
                "Description": "HMAC key for review links, sessions, cursors and keyed hashes",
            },
            "PublicBaseUrl": {"Type": "String", "Description": "public base of links in emails and share offers"},
            "MailFrom": {"Type": "String", "Description": "verified SES sender address"},
            "FormOrigin": {
                "Type": "String",
                "AllowedPattern": "^https?://[^/]+$",
                "Description": "origin of the review form (scheme and host of PublicBaseUrl): may post photos",
            },
            "MediaBaseUrl": {
                "Type": "String",
                "Default": "",
                "Description": "a CloudFront URL in front of the photo bucket (empty: photos are presigned URLs)",
            },
            "AlarmEmail": {
                "Type": "String",
                "Default": "",
                "Description": "address mailed when an alarm goes off or clears (empty: no e-mail; the topic stays)",
            },
            "LogRetentionDays": {
                "Type": "Number",
                "Default": 30,
                "AllowedValues": LOG_RETENTION_DAYS,
                "Description": "days the functions' logs are kept",
            },
        },
        "Conditions": {"HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}},
        "Resources": resources,
        "Outputs": {
            "TableName": {"Value": {"Ref": TABLE}},
            "PhotoBucketName": {"Value": {"Ref": PHOTO_BUCKET}},
            "PhotoUploadQueueUrl": {"Value": {"Ref": UPLOAD_QUEUE}},
            "AlarmTopicArn": {"Value": {"Ref": ALARM_TOPIC}},
        },
    }


def _compile_catalogs() -> None:
    """The .mo files the pages and emails read: build output, compiled from the committed .po catalogs."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "catalogs.py"), "compile"], cwd=ROOT, check=True)


def _build_crawler_index() -> None:
    """The index of the crawler list the clicks read (chalicelib/sharing/crawlers.json): build output, made from the
    installed crawler-user-agents package; Chalice packages it with the rest of chalicelib/."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "crawlers.py")], cwd=ROOT, check=True)


CRAWLER_INDEX = "chalicelib/sharing/crawlers.json"


def require_crawler_index(package: Path) -> None:
    """A package without the index would fail every click from a browser: refuse to write one."""
    import zipfile

    with zipfile.ZipFile(package) as archive:
        if CRAWLER_INDEX not in archive.namelist():
            raise SystemExit(f"{package} lacks {CRAWLER_INDEX}: run scripts/crawlers.py before packaging")


def prune_locale_data(package: Path) -> tuple[int, int]:
    """Drop the locale data of every locale but ours (and root) from Babel in the package; returns how many
    files were dropped and how many bytes the package lost."""
    import zipfile

    before = package.stat().st_size
    with zipfile.ZipFile(package) as archive:
        infos = archive.infolist()
        dropped = [i for i in infos if i.filename.startswith(LOCALE_DATA) and i.filename not in KEPT_LOCALE_DATA]
        if not dropped:
            return 0, 0
        gone = {i.filename for i in dropped}
        entries = [(info, archive.read(info)) for info in infos if info.filename not in gone]
    with tempfile.TemporaryDirectory() as tmp:
        rebuilt = Path(tmp) / "deployment.zip"
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as archive:
            for info, data in entries:
                archive.writestr(info, data)
        rebuilt.replace(package)
    return len(dropped), before - package.stat().st_size


def precompile(package: Path, runtime: str) -> int:
    """Add every module's bytecode to the deployment package; returns how many .pyc files were added.

    Lambda unpacks the package on a read-only file system, so Python cannot keep the bytecode it compiles:
    without these files every cold start compiles each module it imports (ours, Chalice, Powertools,
    pydantic, jinja2) from source. They are unchecked-hash .pyc files (PEP 552), used as they are: a zip
    keeps modification times to two seconds, which a timestamp check would take for a changed source.
    Bytecode is per Python version: built only when this interpreter is the function's runtime."""
    import compileall
    import py_compile
    import zipfile

    if runtime != f"python{sys.version_info.major}.{sys.version_info.minor}":
        print(f"not precompiling: the functions run {runtime}, this is Python {sys.version.split()[0]}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        with zipfile.ZipFile(package) as archive:
            # Bytecode a working copy left beside its sources is replaced, never shipped twice.
            kept = [
                info
                for info in archive.infolist()
                if not info.filename.endswith(".pyc") and "__pycache__/" not in info.filename
            ]
            entries = [(info, archive.read(info)) for info in kept]
            for info in kept:
                archive.extract(info, tree)
        compileall.compile_dir(
            tree,
            quiet=2,
            workers=0,
            stripdir=str(tree),  # tracebacks name the package's own paths, not this build's folder
            prependdir="/var/task",
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        compiled = sorted(p for p in tree.rglob("*.pyc") if p.parent.name == "__pycache__")
        rebuilt = Path(tmp) / "deployment.zip"
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as archive:
            for info, data in entries:
                archive.writestr(info, data)
            for path in compiled:
                info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
        rebuilt.replace(package)
    return len(compiled)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", default=str(ROOT / "dist"))
    args = parser.parse_args(argv)
    out = Path(args.out) / args.stage
    out.mkdir(parents=True, exist_ok=True)
    _compile_catalogs()
    _build_crawler_index()
    with tempfile.TemporaryDirectory() as tmp:
        base = _chalice_package(args.stage, Path(tmp) / "base")
    merge = merge_template(base)
    merge_path = out / "merge-template.json"
    merge_path.write_text(json.dumps(merge, indent=2) + "\n")
    template = _chalice_package(args.stage, out, merge_path)
    runtime = template["Resources"]["APIHandler"]["Properties"]["Runtime"]
    require_crawler_index(out / "deployment.zip")
    dropped, saved = prune_locale_data(out / "deployment.zip")
    print(f"dropped the locale data of {dropped} locales we do not write in ({saved / 1e6:.1f} MB)")
    precompile(out / "deployment.zip", runtime)
    table_only = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": cloudformation_table(TABLE, f"proofloop-{args.stage}"),
        "Outputs": {"TableName": {"Value": {"Ref": TABLE}}},
    }
    (out / "table.json").write_text(json.dumps(table_only, indent=2) + "\n")
    print(f"wrote {out}/sam.json, {out}/deployment.zip, {out}/table.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
