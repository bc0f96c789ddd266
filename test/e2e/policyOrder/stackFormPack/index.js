// Test fixture (plain JavaScript, so the pack loads as it is in both harness runtimes): the old stack form of
// anthropic-key-validated-before-fanout. A resource that carries the key must depend, directly or transitively,
// on a KeyValidation. As a stack policy it can only judge the finished stack, after every step of `pulumi up`.
const { PolicyPack } = require("@pulumi/policy");

const KEY_VALIDATION = "pulumi-nodejs:dynamic/anthropic:KeyValidation";
const HEROKU = "pulumi-nodejs:dynamic/heroku:ConfigVars";

function upstream(resource) {
    const seen = new Set();
    const queue = [resource];
    while (queue.length) {
        const current = queue.shift();
        for (const d of current.dependencies || []) {
            if (!seen.has(d)) {
                seen.add(d);
                queue.push(d);
            }
        }
    }
    return [...seen];
}

new PolicyPack("stack-form", {
    policies: [
        {
            name: "anthropic-key-validated-before-fanout",
            description: "Every resource that carries the Anthropic key depends on a KeyValidation (the old stack form).",
            enforcementLevel: "mandatory",
            validateStack: (args, reportViolation) => {
                for (const r of args.resources) {
                    if (r.type !== HEROKU) continue;
                    if (!upstream(r).some((d) => d.type === KEY_VALIDATION)) {
                        reportViolation(`${r.type} "${r.name}" carries the key but depends on no KeyValidation`, r.urn);
                    }
                }
            },
        },
    ],
});
