/**
 * One Admin API key record (`GET /v1/organizations/api_keys`, `…/{id}`), normalised. The shape, per the
 * vendor's API reference and the installed SDK's `APIKey` type (@anthropic-ai/sdk 1.12,
 * resources/organization/api-keys.d.ts):
 *
 *   { type: "api_key", id, name, status, created_at, expires_at: string | null,
 *     created_by: { id, type: "user" | "service_account" } | null,
 *     principal: { type: "user_actor", user_id } | { type: "service_account_actor", service_account_id } | null,
 *     scope: { type: "workspace", workspace_id } | { type: "organization" },
 *     partial_key_hint, workspace_id (deprecated, still in some answers; null for the default workspace) }
 *
 * `scope` wins; the flat `workspace_id` is only a fallback for answers without a scope.
 */

export type ApiKeyStatus = "active" | "inactive" | "archived" | "expired";

/** Where the key bills: a workspace, the organisation (principal-bound keys only), or not said. */
export type KeyScopeKind = "workspace" | "organization" | "unknown";

/** A user or a service account (the principal a key acts as, or who created it). */
export interface KeyActor {
    readonly kind: "user" | "service_account";
    readonly id: string;
}

export interface ApiKeyRecord {
    /** `apikey_…` */
    readonly id: string;
    /** The Console name. */
    readonly name: string;
    readonly status: ApiKeyStatus | string;
    /** RFC 3339. */
    readonly createdAt: string;
    /** RFC 3339, or null when the key never expires. */
    readonly expiresAt: string | null;
    readonly scope: KeyScopeKind;
    /** The scope's workspace (the default workspace's real id included), else the deprecated flat field; null for an organisation-scoped key. */
    readonly workspaceId: string | null;
    /** The principal the key acts as; null when it is bound to none. */
    readonly principal: KeyActor | null;
    /** Who created it; null when not recorded (legacy, federated or system-created keys). */
    readonly createdBy: KeyActor | null;
    /** e.g. prefix + "..." + last four characters; never log it. */
    readonly partialKeyHint: string | null;
}

type Raw = Record<string, unknown>;

function nonEmpty(value: unknown): string | undefined {
    return typeof value === "string" && value.length > 0 ? value : undefined;
}

function actorOf(raw: unknown, idField: { user: string; service_account: string }): KeyActor | null {
    if (!raw || typeof raw !== "object") return null;
    const r = raw as Raw;
    const type = String(r.type ?? "");
    if (type === "user" || type === "user_actor") {
        const id = nonEmpty(r[idField.user]) ?? nonEmpty(r.id);
        return id ? { kind: "user", id } : null;
    }
    if (type === "service_account" || type === "service_account_actor") {
        const id = nonEmpty(r[idField.service_account]) ?? nonEmpty(r.id);
        return id ? { kind: "service_account", id } : null;
    }
    return null;
}

export function toApiKeyRecord(raw: unknown): ApiKeyRecord {
    const r = (raw ?? {}) as Raw;
    const scope = (r.scope && typeof r.scope === "object" ? r.scope : {}) as Raw;
    const flatWorkspace = nonEmpty(r.workspace_id);
    let scopeKind: KeyScopeKind;
    let workspaceId: string | null;
    if (scope.type === "workspace") {
        scopeKind = "workspace";
        workspaceId = nonEmpty(scope.workspace_id) ?? flatWorkspace ?? null;
    } else if (scope.type === "organization") {
        scopeKind = "organization";
        workspaceId = null;
    } else {
        scopeKind = flatWorkspace ? "workspace" : "unknown";
        workspaceId = flatWorkspace ?? null;
    }
    return {
        id: String(r.id ?? ""),
        name: String(r.name ?? ""),
        status: String(r.status ?? "unknown"),
        createdAt: String(r.created_at ?? ""),
        expiresAt: typeof r.expires_at === "string" ? r.expires_at : null,
        scope: scopeKind,
        workspaceId,
        principal: actorOf(r.principal, { user: "user_id", service_account: "service_account_id" }),
        createdBy: actorOf(r.created_by, { user: "id", service_account: "id" }),
        partialKeyHint: typeof r.partial_key_hint === "string" ? r.partial_key_hint : null,
    };
}

/** Who the key belongs to: its principal, else its creator. */
export function keyOwner(record: Pick<ApiKeyRecord, "principal" | "createdBy">): { actor: KeyActor | null; via: "principal" | "created_by" | "none" } {
    if (record.principal) return { actor: record.principal, via: "principal" };
    if (record.createdBy) return { actor: record.createdBy, via: "created_by" };
    return { actor: null, via: "none" };
}

/** `service account svac_…` / `user user_…` / `not recorded`, for messages and the `keyOwner` output. */
export function describeOwner(record: Pick<ApiKeyRecord, "principal" | "createdBy">): string {
    const { actor, via } = keyOwner(record);
    if (!actor) return "not recorded (no principal, no created_by)";
    const who = actor.kind === "user" ? `user ${actor.id}` : `service account ${actor.id}`;
    return via === "principal" ? who : `${who} (creator; the key has no principal)`;
}
