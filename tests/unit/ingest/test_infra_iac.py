"""Infrastructure as code: Terraform, tfvars, Bicep, ARM, CloudFormation/SAM and CDK."""

from __future__ import annotations

import json

import pytest

from hyperscore.evaluators.ingest.parsers.infra_common import EnvironmentSignal
from hyperscore.evaluators.ingest.parsers.infra_iac import (
    CdkApp,
    IacBackend,
    IacModule,
    IacProvider,
    IacResource,
    TfVars,
    constraint_pin,
    module_pin,
    parse_bicep,
    parse_cdk_code,
    parse_cdk_json,
    parse_cloud_template,
    parse_hcl,
    parse_terraform,
    parse_tfvars,
)
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence

TERRAFORM = """\
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
    google = { source = "hashicorp/google", version = "5.1.0" }
  }
  backend "s3" {
    bucket = "state"
  }
}

# a comment with a { brace
resource "aws_sagemaker_endpoint" "main" {
  name = "ep-${terraform.workspace}"
  tags = merge(local.tags, { Name = "x" })
  policy = <<EOF
{ "a": "}" }
EOF
}

data "aws_iam_policy_document" "p" {}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.1.2"
}
module "net" {
  source = "git::https://github.com/x/y.git?ref=v1.2.0"
}
module "pinned" {
  source = "github.com/x/z?ref=0123456789abcdef0123456789abcdef01234567"
}
module "local" { source = "./modules/x" }
module "floating" { source = "org/name/aws" }
"""


def terraform(text: str = TERRAFORM, path: str = "infra/envs/staging/main.tf") -> list[Evidence]:
    return list(parse_terraform(ParseInput(path, text)))


def test_terraform_resources() -> None:
    resources = [i for i in terraform() if isinstance(i, IacResource)]
    assert [(r.resource_type, r.name, r.data_source, r.line, r.end_line) for r in resources] == [
        ("aws_sagemaker_endpoint", "main", False, 16, 22),
        ("aws_iam_policy_document", "p", True, 24, 24),
    ]
    assert resources[0].provider == "aws"
    assert resources[0].links[0].dst == "iac:aws_sagemaker_endpoint.main"


def test_terraform_modules_and_pins() -> None:
    modules = [i for i in terraform() if isinstance(i, IacModule)]
    assert [(m.name, m.pin, m.version, m.line) for m in modules] == [
        ("vpc", "exact", "5.1.2", 26),
        ("net", "ref", None, 30),
        ("pinned", "commit", None, 33),
        ("local", "local", None, 36),
        ("floating", "none", None, 37),
    ]
    assert modules[1].source == "git::https://github.com/x/y.git?ref=v1.2.0"


def test_terraform_providers_backend_and_environments() -> None:
    items = terraform()
    providers = [
        (p.provider, p.version, p.pin, p.line) for p in items if isinstance(p, IacProvider)
    ]
    assert providers == [
        ("terraform", ">= 1.5", "range", 2),
        ("aws", "~> 5.0", "range", 4),
        ("google", "5.1.0", "exact", 8),
    ]
    (backend,) = [b for b in items if isinstance(b, IacBackend)]
    assert (backend.backend, backend.line, backend.end_line) == ("s3", 10, 12)
    envs = [(e.environment, e.source, e.line) for e in items if isinstance(e, EnvironmentSignal)]
    assert envs == [("workspace", "workspace", 17), ("staging", "directory", 1)]


def test_terraform_legacy_provider_pins_and_cloud_block() -> None:
    text = (
        'terraform {\n  required_providers {\n    aws = "~> 3.0"\n  }\n'
        '  cloud {\n    organization = "o"\n  }\n}\nprovider "google" {\n  version = "4.0.0"\n}\n'
    )
    items = terraform(text, "main.tf")
    assert [(p.provider, p.pin) for p in items if isinstance(p, IacProvider)] == [
        ("aws", "range"),
        ("google", "exact"),
    ]
    assert [b.backend for b in items if isinstance(b, IacBackend)] == ["cloud"]


def test_terraform_json() -> None:
    text = json.dumps({"resource": {"aws_s3_bucket": {"data": {"bucket": "b"}}}}, indent=2)
    (resource,) = terraform(text, "main.tf.json")
    assert isinstance(resource, IacResource)
    assert (resource.resource_type, resource.name, resource.line) == ("aws_s3_bucket", "data", 4)


def test_hcl_tolerates_odd_input() -> None:
    root = parse_hcl('a = "unterminated\nb = "${x"\nresource "t" "n" {\n  /* } */ c = 1\n')
    assert [b.type for b in root.children] == ["resource"]
    assert root.children[0].attrs["c"] == ("1", 4)


@pytest.mark.parametrize(
    ("version", "pin"),
    [
        ("1.2.3", "exact"),
        ("= 1.2.3", "exact"),
        ("~> 1.2", "range"),
        (">= 1", "range"),
        ("", "none"),
    ],
)
def test_constraint_pin(version: str, pin: str) -> None:
    assert constraint_pin(version) == pin


def test_module_pin_prefers_ref() -> None:
    assert module_pin("../shared", None) == "local"
    assert module_pin("git@github.com:o/r.git?ref=main", "1.0.0") == "ref"


def test_tfvars_names_only() -> None:
    text = 'db_password = "s3cret"\nregion = "eu-west-1"\ntags = {\n  team = "ml"\n}\n'
    items = list(parse_tfvars(ParseInput("env/prod.tfvars", text)))
    (tfvars,) = [i for i in items if isinstance(i, TfVars)]
    assert tfvars.variables == ("db_password", "region", "tags")
    assert [(e.environment, e.source) for e in items if isinstance(e, EnvironmentSignal)] == [
        ("prod", "file-name")
    ]
    assert "s3cret" not in "".join(i.model_dump_json() for i in items)
    (json_vars, *_) = parse_tfvars(ParseInput("x.tfvars.json", '{"a": 1, "token": "t0k"}'))
    assert isinstance(json_vars, TfVars) and json_vars.variables == ("a", "token")


def test_bicep() -> None:
    text = """\
param location string = resourceGroup().location
resource stg 'Microsoft.Storage/storageAccounts@2023-01-01' = {
  name: 'x'
}
resource kv 'Microsoft.KeyVault/vaults@2022-07-01' existing = {
  name: 'kv'
}
module net './network.bicep' = {
  name: 'net'
}
module reg 'br/public:avm/res/network/vnet:0.1.0' = {
  name: 'r'
}
"""
    items = list(parse_bicep(ParseInput("infra/main.bicep", text)))
    resources = [
        (r.name, r.resource_type, r.api_version, r.data_source, r.line)
        for r in items
        if isinstance(r, IacResource)
    ]
    assert resources == [
        ("stg", "Microsoft.Storage/storageAccounts", "2023-01-01", False, 2),
        ("kv", "Microsoft.KeyVault/vaults", "2022-07-01", True, 5),
    ]
    modules = [(m.name, m.pin, m.line) for m in items if isinstance(m, IacModule)]
    assert modules == [("net", "local", 8), ("reg", "ref", 11)]


def test_arm_template() -> None:
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "resources": [
            {
                "type": "Microsoft.MachineLearningServices/workspaces",
                "apiVersion": "2023-04-01",
                "name": "[parameters('ws')]",
                "resources": [
                    {"type": "computes", "apiVersion": "2023-04-01", "name": "gpu"},
                ],
            }
        ],
    }
    text = json.dumps(template, indent=2)
    items = list(parse_cloud_template(ParseInput("azuredeploy.json", text)))
    resources = [
        (r.resource_type, r.name, r.api_version, r.line)
        for r in items
        if isinstance(r, IacResource)
    ]
    assert resources == [
        ("Microsoft.MachineLearningServices/workspaces", "[parameters('ws')]", "2023-04-01", 5),
        ("computes", "gpu", "2023-04-01", 10),
    ]
    assert all(i.tool == "arm" for i in items if isinstance(i, IacResource))


CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-data"
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointConfigName: !GetAtt Config.EndpointConfigName
  Schedule:
    Type: AWS::SageMaker::MonitoringSchedule
"""


def test_cloudformation_yaml_with_short_tags() -> None:
    items = list(parse_cloud_template(ParseInput("infra/prod/template.yaml", CFN)))
    resources = [
        (r.tool, r.name, r.resource_type, r.line, r.end_line)
        for r in items
        if isinstance(r, IacResource)
    ]
    assert resources == [
        ("sam", "Bucket", "AWS::S3::Bucket", 4, 7),
        ("sam", "Endpoint", "AWS::SageMaker::Endpoint", 8, 11),
        ("sam", "Schedule", "AWS::SageMaker::MonitoringSchedule", 12, 13),
    ]
    assert [e.environment for e in items if isinstance(e, EnvironmentSignal)] == ["prod"]


def test_cloudformation_json_and_unrelated_files() -> None:
    text = json.dumps(
        {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Q": {"Type": "AWS::SQS::Queue"}}},
        indent=1,
    )
    (resource,) = parse_cloud_template(ParseInput("stack.json", text))
    assert isinstance(resource, IacResource)
    assert (resource.tool, resource.name, resource.line) == ("cloudformation", "Q", 4)
    assert list(parse_cloud_template(ParseInput("notes.yaml", "Resources: none\n"))) == []
    assert (
        list(parse_cloud_template(ParseInput("x.json", '{"Resources": {}, "k": "AWS::x"}'))) == []
    )


def test_cdk() -> None:
    (app,) = parse_cdk_json(
        ParseInput("cdk.json", '{"app": "python3 app.py", "context": {"a": 1}}')
    )
    assert isinstance(app, CdkApp) and (app.app, app.language, app.context_keys) == (
        "python3 app.py",
        "python",
        1,
    )
    python = """\
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3, aws_sagemaker as sagemaker
class MLStack(cdk.Stack):
    def __init__(self, scope, id):
        super().__init__(scope, id)
        bucket = s3.Bucket(self, "ModelBucket", versioned=True)
        sagemaker.CfnEndpoint(self, 'Endpoint', endpoint_config_name="x")
app = cdk.App()
MLStack(app, "MLStack")
"""
    found = [
        (r.resource_type, r.name, r.line) for r in parse_cdk_code(ParseInput("app.py", python))
    ]
    assert found == [
        ("s3.Bucket", "ModelBucket", 6),
        ("sagemaker.CfnEndpoint", "Endpoint", 7),
        ("MLStack", "MLStack", 9),
    ]
    typescript = (
        "import * as cdk from 'aws-cdk-lib';\nimport * as s3 from 'aws-cdk-lib/aws-s3';\n"
        "new s3.Bucket(this, 'Data', {});\n"
    )
    found = [
        (r.resource_type, r.name, r.line)
        for r in parse_cdk_code(ParseInput("lib/stack.ts", typescript))
    ]
    assert found == [("s3.Bucket", "Data", 3)]
    assert list(parse_cdk_code(ParseInput("other.py", "Bucket(self, 'x')\n"))) == []


def test_cdk_constructs_built_by_factory_functions() -> None:
    """Helpers take the scope and id as parameters: ``Type(scope, id, ...)``, ``self.scope``."""
    python = """\
from aws_cdk import aws_sagemaker as sagemaker
def create_registry(scope, id, name):
    return sagemaker.CfnModelPackageGroup(
        scope,
        id,
        model_package_group_name=name,
    )
class Monitor:
    def schedule(self, id):
        return sagemaker.CfnMonitoringSchedule(self.scope, f"{id}-schedule")
helper(self, not_a_construct)
"""
    found = [
        (r.resource_type, r.name, r.line) for r in parse_cdk_code(ParseInput("lib/ml.py", python))
    ]
    assert found == [
        ("sagemaker.CfnModelPackageGroup", "id", 3),
        ("sagemaker.CfnMonitoringSchedule", "{id}-schedule", 10),
    ]
