import { z } from "zod";
import { transportProblem } from "../http/transport";

/**
 * A URL the key or a token is sent to (`endpoints.*`, `targets.infisical[].siteUrl`, `healthChecks[].url`):
 * https, or http only to a loopback address, and no user:password@ (components/http/transport.ts). The issue
 * carries its own fix in `params.fix`, which loadConfig reports next to the field's path.
 */
export const transportUrl = z.string().superRefine((text, ctx) => {
    const problem = transportProblem(text);
    if (problem) ctx.addIssue({ code: "custom", message: problem.message, params: { fix: problem.fix } });
});
