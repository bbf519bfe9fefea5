"""Someone hears about failures: the packaged template's alarms notify, and the due work emits what they watch."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.budget import Budget
from tests.unit.sharing_support import Advocate


def _load_package_script() -> Any:
    path = Path(__file__).resolve().parents[2] / "scripts" / "package.py"
    spec = importlib.util.spec_from_file_location("package_script", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


merge_template = _load_package_script().merge_template


def _function(handler: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {"Runtime": "python3.11", "Handler": handler, "Role": {"Fn::GetAtt": ["DefaultRole", "Arn"]}},
    }


# Chalice's template for this app, in the shape `chalice package` writes it (a scheduled function, the API).
BASE = {
    "Resources": {
        "DefaultRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {"Policies": [{"PolicyDocument": {"Statement": [{"Sid": "Logs", "Effect": "Allow"}]}}]},
        },
        "RunDueWork": _function("app.run_due_work"),
        "APIHandler": _function("app.app"),
        "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {}},
    }
}


@pytest.fixture(scope="module")
def merged() -> dict[str, Any]:
    return merge_template(BASE)


# The same app with the uploads queue's function, as `chalice package` writes it for app.process_uploads.
UPLOADS_FUNCTION = {
    "Type": "AWS::Serverless::Function",
    "Properties": {
        **_function("app.process_uploads")["Properties"],
        "Events": {
            "ProcessUploadsSqsEventSource": {
                "Type": "SQS",
                "Properties": {
                    "Queue": {
                        "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
                        "proofloop-photo-uploads-prod"
                    },
                    "BatchSize": 1,
                },
            }
        },
    },
}


@pytest.fixture(scope="module")
def with_uploads() -> dict[str, Any]:
    return merge_template({"Resources": {**BASE["Resources"], "ProcessUploads": UPLOADS_FUNCTION}})


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") == "AWS::CloudWatch::Alarm"}


def test_every_alarm_notifies_the_alarm_topic_when_it_goes_off_and_when_it_clears(merged):
    # Given the merged template
    resources = merged["Resources"]
    # When its alarms are read
    alarms = _alarms(merged)
    # Then there are alarms, and each one names the topic for both transitions
    assert len(alarms) >= 6
    assert resources["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    for name, alarm in alarms.items():
        assert {"Ref": "AlarmTopic"} in alarm["Properties"]["AlarmActions"], name
        assert {"Ref": "AlarmTopic"} in alarm["Properties"]["OKActions"], name


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(merged):
    # Given the topic and its key
    resources = merged["Resources"]
    topic = resources["AlarmTopic"]["Properties"]
    # When the key's policy is read
    key = resources[topic["KmsMasterKeyId"]["Ref"]]
    grants = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Principal"].get("Service")]
    # Then CloudWatch may encrypt for the topic (it cannot with the AWS-managed alias/aws/sns key)
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    assert grants == [
        {
            "Sid": "CloudWatchAlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]


def test_the_alarm_email_is_subscribed_only_when_one_is_given(merged):
    # Given the AlarmEmail parameter, empty unless the deployer sets it
    assert merged["Parameters"]["AlarmEmail"]["Default"] == ""
    # When the subscription is read
    subscriptions = [r for r in merged["Resources"].values() if r.get("Type") == "AWS::SNS::Subscription"]
    # Then there is one, made only under a condition that holds when the address is not empty
    assert len(subscriptions) == 1
    [subscription] = subscriptions
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    assert merged["Conditions"][subscription["Condition"]] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}


@pytest.mark.parametrize(
    ("metric", "periods"),
    [("DueWorkCutShort", 3), ("DueItemParked", 1), ("MailSendingRefused", 1)],
)
def test_the_app_metrics_have_alarms_on_the_names_and_dimension_powertools_emits(merged, metric, periods):
    # Given the app's metrics, emitted by Powertools with the service as their dimension
    # When the alarms on the app's namespace are read
    watching = [a["Properties"] for a in _alarms(merged).values() if a["Properties"].get("MetricName") == metric]
    # Then one alarm watches the metric, going off for a count of one in each of its periods
    assert len(watching) == 1
    [alarm] = watching
    assert alarm["Namespace"] == "Proofloop"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "proofloop"}]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Sum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == periods


def test_every_function_has_its_log_group_with_the_chosen_retention(merged):
    # Given the functions Chalice declares
    functions = [name for name, r in BASE["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    groups = [r["Properties"] for r in merged["Resources"].values() if r.get("Type") == "AWS::Logs::LogGroup"]
    # When their log groups are looked up by name
    by_name = {g["LogGroupName"]["Fn::Sub"]: g for g in groups}
    # Then each function's is there, kept for LogRetentionDays (30 unless set, a value CloudWatch accepts)
    assert sorted(by_name) == sorted(f"/aws/lambda/${{{name}}}" for name in functions)
    assert all(g["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups)
    retention = merged["Parameters"]["LogRetentionDays"]
    assert retention["Default"] == 30 and retention["Default"] in retention["AllowedValues"]
    assert {1, 7, 30, 90, 365, 3653} <= set(retention["AllowedValues"]) and 2 not in retention["AllowedValues"]


@pytest.fixture
def clicked(api, outbox):
    """A click waiting for the roll-up, so there is due work."""
    adv = Advocate(api, outbox)
    assert adv.click().status_code == 302
    return adv


@pytest.fixture
def metrics():
    from chalicelib.observability import metrics

    metrics.clear_metrics()
    yield metrics
    metrics.clear_metrics()


def test_due_work_cut_short_by_its_budget_emits_the_metric(clicked, table, metrics):
    from chalicelib.jobs import run_due_work

    # Given due work and a budget already spent
    # When the due work runs
    run = run_due_work(Budget(0))
    # Then it reports work left, and counts one DueWorkCutShort
    assert run.more is True
    assert metrics.metric_set["DueWorkCutShort"]["Unit"] == "Count"
    assert metrics.metric_set["DueWorkCutShort"]["Value"] == [1.0]


def test_due_work_that_finishes_emits_no_cut_short(clicked, table, metrics):
    from chalicelib.jobs import run_due_work

    # Given due work and all the time it needs
    # When the due work runs
    run = run_due_work()
    # Then nothing is counted as cut short
    assert run.more is False
    assert "DueWorkCutShort" not in metrics.metric_set


def test_the_scheduled_run_flushes_its_metrics(clicked, table, metrics, monkeypatch, capsys):
    import app

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 5_000  # less than the safety margin: the budget is spent before the first item

    class Event:
        context = Context()

    # Given metrics published (as in prod) and a scheduled invocation with no time to spare
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()
    # When the schedule runs the due work
    assert app.run_due_work.func(Event())["more"] is True
    # Then the run's metric went out as one EMF record, and nothing is left to pile up
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emitted = [r for r in records if "_aws" in r]
    assert len(emitted) == 1
    [record] = emitted
    assert record["DueWorkCutShort"] == [1.0] and record["service"] == "proofloop"
    assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Proofloop"
    assert metrics.metric_set == {}


def test_the_package_ships_bytecode_used_as_is(tmp_path):
    import subprocess
    import sys
    import zipfile

    precompile = _load_package_script().precompile
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "import lib.answer\nVALUE = lib.answer.VALUE\n")
        archive.writestr("lib/__init__.py", "")
        archive.writestr("lib/answer.py", "VALUE = 42\n")
        archive.writestr("lib/notes.txt", "not python")
        archive.writestr("lib/__pycache__/answer.cpython-311.pyc", b"stale bytecode a working copy left")
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    # Given the package, when its bytecode is added
    assert precompile(package, runtime) == 3
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        tag = sys.implementation.cache_tag
        pyc = archive.read(f"lib/__pycache__/answer.{tag}.pyc")
        assert archive.testzip() is None and len(names) == len(set(names))
    # Then every module has its unchecked-hash .pyc (PEP 552 flags: hash-based, source not checked)
    assert int.from_bytes(pyc[4:8], "little") == 0b01
    assert {f"__pycache__/app.{tag}.pyc", f"lib/__pycache__/__init__.{tag}.pyc"} <= set(names)
    # And an interpreter that cannot write bytecode (Lambda's read-only folder) runs from it
    task = tmp_path / "task"
    zipfile.ZipFile(package).extractall(task)
    (task / "lib" / "answer.py").write_text("VALUE = 0\n")  # a source that changed is not checked: as shipped
    done = subprocess.run(
        [sys.executable, "-B", "-c", "import app; print(app.VALUE)"], cwd=task, capture_output=True, text=True
    )
    assert done.stdout.strip() == "42"
    # A runtime other than this interpreter gets no bytecode (it would not load)
    assert precompile(package, "python3.9") == 0


def test_the_package_keeps_babels_locale_data_of_our_languages_only_and_formats_with_it(tmp_path):
    import subprocess
    import sys
    import zipfile

    import babel

    from chalicelib.web.languages import LANGUAGES

    script = _load_package_script()
    installed = Path(babel.__file__).parent
    package = tmp_path / "deployment.zip"
    # Given a package with Babel's code and the locale data of ours, their regional variants and others
    shipped = {*LANGUAGES, "root", "fr_CA", "pt_PT", "it", "ja", "zh_Hant"}
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "")
        for path in installed.rglob("*"):
            relative = path.relative_to(installed.parent).as_posix()
            if (
                path.is_file()
                and "__pycache__" not in relative
                and (not relative.startswith(script.LOCALE_DATA) or path.stem in shipped)
            ):
                archive.write(path, relative)
    # When it is pruned
    dropped, saved = script.prune_locale_data(package)
    # Then only the data of our languages and root is left, and nothing else went
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
    kept = {Path(n).stem for n in names if n.startswith(script.LOCALE_DATA)}
    assert kept == {*LANGUAGES, "root"} and dropped == len(shipped) - len(kept) and saved > 0
    assert "app.py" in names and "babel/global.dat" in names and "babel/dates.py" in names
    # And Babel, run from the pruned package alone, formats a day and a number in each language
    task = tmp_path / "task"
    zipfile.ZipFile(package).extractall(task)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import babel, datetime; from babel.dates import format_date; "
        "from babel.numbers import format_decimal; assert babel.__file__.startswith(sys.argv[1]); "
        "print('|'.join(format_date(datetime.date(2026, 11, 23), format='long', locale=l) + ' ' + "
        "format_decimal(1234.5, locale=l) for l in sys.argv[2:]))"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(task), *LANGUAGES], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().split("|") == [
        "November 23, 2026 1,234.5",
        "23 de noviembre de 2026 1.234,5",
        "23 novembre 2026 1\u202f234,5",
        "23. November 2026 1.234,5",
        "23 de novembro de 2026 1.234,5",
    ]


def test_a_package_without_the_crawler_index_is_refused(tmp_path):
    import zipfile

    # Given a deployment package that lacks the index the clicks read
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "")
    # When the packaging checks it, then it refuses it (every browser's click would fail on it)
    with pytest.raises(SystemExit):
        _load_package_script().require_crawler_index(package)


def test_the_built_package_carries_the_compiled_catalogs_the_crawler_index_and_pruned_locale_data():
    """Checked on a package `make package` built, when there is one (CI's `make test` builds it first)."""
    import zipfile

    from chalicelib.web.languages import LANGUAGES

    built = sorted(Path(__file__).resolve().parents[2].glob("dist/*/deployment.zip"))
    if not built:
        pytest.skip("no package built here (make package)")
    script = _load_package_script()
    for package in built:
        with zipfile.ZipFile(package) as archive:
            names = set(archive.namelist())
        data = {n for n in names if n.startswith(script.LOCALE_DATA)}
        assert data == set(script.KEPT_LOCALE_DATA), package
        compiled = {f"chalicelib/locales/{language}/LC_MESSAGES/messages.mo" for language in LANGUAGES}
        assert compiled <= names, package
        assert script.CRAWLER_INDEX in names, package


def test_the_photo_bucket_is_private_encrypted_and_forgets_unprocessed_uploads(merged):
    bucket = merged["Resources"]["PhotoBucket"]
    props = bucket["Properties"]
    assert bucket["Type"] == "AWS::S3::Bucket"
    assert all(props["PublicAccessBlockConfiguration"].values())
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (cors,) = props["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedOrigins"] == [{"Ref": "FormOrigin"}] and "POST" in cors["AllowedMethods"]
    rules = {r["Prefix"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert set(rules) == {"uploads/", "feeds/", "imports/", "exports/"}
    expiry = rules["uploads/"]
    assert expiry["ExpirationInDays"] == 1 and expiry["Status"] == "Enabled"
    assert rules["feeds/"]["ExpirationInDays"] == 2 and rules["feeds/"]["Status"] == "Enabled"  # large review feeds
    # The console's uploaded review CSVs (reviewers' emails in them) and its large exports
    assert all(rules[p]["ExpirationInDays"] == 1 and rules[p]["Status"] == "Enabled" for p in ("imports/", "exports/"))
    (deny,) = merged["Resources"]["PhotoBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_functions_may_touch_the_photo_bucket_and_nothing_else_of_s3(merged):
    statements = merged["Resources"]["DefaultRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    s3 = [s for s in statements if any(str(a).startswith("s3:") for a in s.get("Action", []))]
    assert {s["Sid"] for s in s3} == {"PhotoObjects", "PhotoBucketList"}
    objects = next(s for s in s3 if s["Sid"] == "PhotoObjects")
    assert objects["Resource"] == {"Fn::Sub": "${PhotoBucket.Arn}/*"} and "s3:*" not in objects["Action"]
    listing = next(s for s in s3 if s["Sid"] == "PhotoBucketList")
    assert listing["Resource"] == {"Fn::GetAtt": ["PhotoBucket", "Arn"]}
    for name in ("RunDueWork", "APIHandler"):
        env = merged["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert env["PROOFLOOP_PHOTO_BUCKET"] == {"Ref": "PhotoBucket"}


def test_the_due_work_that_processes_photos_gets_the_memory_the_bench_measured(merged):
    assert merged["Resources"]["RunDueWork"]["Properties"]["MemorySize"] == 1024
    assert "MemorySize" not in merged["Resources"]["APIHandler"]["Properties"]


def test_s3_tells_the_uploads_queue_of_each_upload_and_its_function_reads_it(with_uploads):
    resources = with_uploads["Resources"]
    queue = resources["PhotoUploadQueue"]["Properties"]
    assert queue["QueueName"] == "proofloop-photo-uploads-prod" and queue["SqsManagedSseEnabled"] is True
    (notify,) = resources["PhotoBucket"]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert notify["Event"] == "s3:ObjectCreated:*" and notify["Queue"] == {"Fn::GetAtt": ["PhotoUploadQueue", "Arn"]}
    assert notify["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    assert resources["PhotoBucket"]["DependsOn"] == "PhotoUploadQueuePolicy"
    (send,) = resources["PhotoUploadQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert send["Principal"] == {"Service": "s3.amazonaws.com"} and send["Action"] == "sqs:SendMessage"
    assert resources["ProcessUploads"]["DependsOn"] == ["PhotoUploadQueue"]  # its event source names the queue
    assert "Events" not in resources["ProcessUploads"]["Properties"]  # Chalice's event source, left as it made it
    statements = resources["DefaultRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    reads = next(s for s in statements if s["Sid"] == "PhotoUploadQueue")
    assert reads["Resource"] == {"Fn::GetAtt": ["PhotoUploadQueue", "Arn"]} and "sqs:ReceiveMessage" in reads["Action"]
    assert resources["ProcessUploads"]["Properties"]["MemorySize"] == 1024  # it processes photos too
    env = resources["ProcessUploads"]["Properties"]["Environment"]["Variables"]
    assert env["PROOFLOOP_PHOTO_BUCKET"] == {"Ref": "PhotoBucket"}
