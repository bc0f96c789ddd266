/**
 * The value the Pulumi engine sends to a dynamic provider, during a preview, for an input that is not known yet
 * (an output of a resource that has not been created). `check` and `diff` must treat it as "will change", never
 * as a real value. (Pulumi's `runtime/rpc` `unknownValue`.)
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
