/**
 * A program that breaks anthropic-key-validated-before-fanout: it writes the key to a Heroku app directly, with
 * no KeyValidation before it and no validation receipt, outside any AnthropicKey component. policyOrder.test.ts
 * runs it through the harness to show when each form of the policy stops it.
 */
import * as pulumi from "@pulumi/pulumi";
import { fingerprint } from "../../../components/domain/fingerprint";
import { HerokuConfigVars } from "../../../components/heroku/herokuConfigVars";

const config = new pulumi.Config();
const apiKey = config.requireSecret("apiKey");

export const heroku = new HerokuConfigVars("unvalidated-heroku", {
    app: config.require("herokuApp"),
    vars: ["ANTHROPIC_API_KEY"],
    apiKey,
    fingerprint: apiKey.apply(fingerprint),
    apiUrl: config.require("herokuUrl"),
}).app;
