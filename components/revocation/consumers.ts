import type { Targets } from "../config/schema";

/**
 * The consumers of a stack's key, by identity, as the KeyLedger records which consumers held each key. An
 * identity is what the target IS (app, repository and secret, project/environment/path/name, command name),
 * never its position in the config or a setting such as its vars, so editing a target is not a removal.
 * `removeOnDelete` (a command's `delete`): removing the target also removes the key from the consumer.
 */

export interface ConsumerRef {
    /** e.g. `heroku app raxx-api-prod`: also what `revocation.acknowledgeRemoved` lists. */
    readonly id: string;
    readonly removeOnDelete: boolean;
}

export function consumersOf(targets: Targets, defaultOwner?: string): ConsumerRef[] {
    const owner = (repo: string) => (repo.includes("/") || !defaultOwner ? repo : `${defaultOwner}/${repo}`);
    return [
        ...targets.infisical.map((t) => ({ id: `infisical ${t.projectId}/${t.environment}${t.secretPath} ${t.secretName}`, removeOnDelete: t.removeOnDelete === true })),
        ...targets.heroku.map((t) => ({ id: `heroku app ${t.app}`, removeOnDelete: t.removeOnDelete === true })),
        ...targets.github.map((t) => ({
            id: "organization" in t ? `github org ${t.organization} secret ${t.secretName}` : `github ${owner(t.repository)}${t.environment ? ` environment ${t.environment}` : ""} secret ${t.secretName}`,
            removeOnDelete: (t as { removeOnDelete?: boolean }).removeOnDelete === true,
        })),
        ...targets.commands.map((t) => ({ id: `command ${t.name}`, removeOnDelete: t.delete !== undefined })),
    ];
}

/** Well-formed entries of a `consumers` value (provider inputs and state). */
export function consumerRefsOf(value: unknown): ConsumerRef[] {
    if (!Array.isArray(value)) return [];
    return value
        .filter((c): c is Record<string, unknown> => !!c && typeof c === "object" && typeof (c as Record<string, unknown>).id === "string")
        .map((c) => ({ id: c.id as string, removeOnDelete: c.removeOnDelete === true }));
}

/** One entry per id, in first-seen order; a later list's record of a consumer wins (its latest settings). */
export function mergeConsumers(...lists: readonly (readonly ConsumerRef[])[]): ConsumerRef[] {
    const byId = new Map<string, ConsumerRef>();
    for (const list of lists) for (const c of list) byId.set(c.id, c);
    return [...byId.values()];
}
