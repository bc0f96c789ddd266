/** The harness evaluates policies with the same analyzer client the policy pack's own tests use. */
export { startPolicyAnalyzerForHarness } from "../../policies/test/support/policyAnalyzer";
