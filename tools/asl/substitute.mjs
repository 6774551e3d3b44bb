// Writes each state machine definition the templates in cfn/ reference (DefinitionS3Location) to
// an output folder with its DefinitionSubstitutions placeholders replaced by plausible values, so
// asl-validator can check it (see `make asl`). Fails when the definition and the template disagree:
// a ${Placeholder} the template does not substitute, or a substitution the definition never uses.
//
// usage: node tools/asl/substitute.mjs <cfn dir> <output dir>   (prints the files it wrote)
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const INTRINSICS = [
  "And", "Base64", "Cidr", "Condition", "Equals", "FindInMap", "GetAtt", "GetAZs", "If",
  "ImportValue", "Join", "Not", "Or", "Ref", "Select", "Split", "Sub", "Transform",
];

// CloudFormation's short-form tags (!GetAtt, !Ref, ...) as their long forms, scalar or sequence.
const customTags = INTRINSICS.flatMap((name) => {
  const key = name === "Ref" || name === "Condition" ? name : `Fn::${name}`;
  const wrap = (value) => ({ [key]: value });
  return [
    { tag: `!${name}`, resolve: (value) => wrap(value) },
    { tag: `!${name}`, collection: "seq", resolve: (seq) => wrap(seq.toJSON()) },
    { tag: `!${name}`, collection: "map", resolve: (map) => wrap(map.toJSON()) },
  ];
});

// A plausible value for a substitution, from the resource it points at.
const ARN_FOR_TYPE = {
  "AWS::Lambda::Function": (id) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`,
  "AWS::SNS::Topic": (id) => `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`,
  "AWS::SQS::Queue": (id) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`,
  "AWS::DynamoDB::Table": (id) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`,
  "AWS::StepFunctions::StateMachine": (id) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`,
  "AWS::IAM::Role": (id) => `arn:aws:iam::${ACCOUNT}:role/${id}`,
};

// A parameter holding an ARN, by how its name ends (e.g. OperationalAlertsTopicArn).
const TYPE_FOR_PARAMETER = [
  [/FunctionArn$/, "AWS::Lambda::Function"],
  [/TopicArn$/, "AWS::SNS::Topic"],
  [/QueueArn$/, "AWS::SQS::Queue"],
  [/TableArn$/, "AWS::DynamoDB::Table"],
  [/StateMachineArn$/, "AWS::StepFunctions::StateMachine"],
  [/RoleArn$/, "AWS::IAM::Role"],
];

function plausible(key, value, template) {
  if (typeof value === "string") return value;
  const target = value["Fn::GetAtt"] ?? value.Ref;
  const id = Array.isArray(target) ? target[0] : String(target ?? "").split(".")[0];
  const parameter = id in (template.Parameters ?? {}) && TYPE_FOR_PARAMETER.find(([re]) => re.test(id));
  const make = ARN_FOR_TYPE[parameter ? parameter[1] : template.Resources?.[id]?.Type];
  if (!make) throw new Error(`${key}: no plausible value for ${JSON.stringify(value)}`);
  return make(id);
}

function substitute(file, substitutions) {
  const text = fs.readFileSync(file, "utf8");
  const used = new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
  const missing = [...used].filter((k) => !(k in substitutions));
  const unused = Object.keys(substitutions).filter((k) => !used.has(k));
  if (missing.length || unused.length) {
    throw new Error(`${file}: not substituted ${JSON.stringify(missing)}, unused ${JSON.stringify(unused)}`);
  }
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, k) => substitutions[k]);
}

function main([cfnDir, outDir]) {
  fs.mkdirSync(outDir, { recursive: true });
  const written = [];
  const sources = [];
  for (const name of fs.readdirSync(cfnDir).filter((f) => f.endsWith(".yaml")).sort()) {
    const template = YAML.parse(fs.readFileSync(path.join(cfnDir, name), "utf8"), { customTags });
    const resources = template?.Resources ?? {};
    for (const [id, resource] of Object.entries(resources)) {
      const props = resource.Properties ?? {};
      if (resource.Type !== "AWS::StepFunctions::StateMachine" || !props.DefinitionS3Location) continue;
      const substitutions = Object.fromEntries(
        Object.entries(props.DefinitionSubstitutions ?? {}).map(([k, v]) => [k, plausible(k, v, template)]),
      );
      const source = path.join(cfnDir, props.DefinitionS3Location);
      const output = path.join(outDir, `${id}.${path.basename(source)}`);
      fs.writeFileSync(output, substitute(source, substitutions));
      written.push(output);
      sources.push(source);
    }
  }
  const referenced = new Set(sources.map((s) => path.resolve(s)));
  const stray = fs
    .readdirSync(path.join(cfnDir, "statemachine"))
    .filter((f) => f.endsWith(".asl.json") && !referenced.has(path.resolve(cfnDir, "statemachine", f)));
  if (!written.length || stray.length) {
    throw new Error(`definitions no template references: ${JSON.stringify(stray)} (wrote ${written.length})`);
  }
  console.log(written.join("\n"));
}

main(process.argv.slice(2));
