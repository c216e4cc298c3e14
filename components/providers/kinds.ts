// The two implementations of the seam. `pulumi`: @pulumi/docker and
// @pulumi/command, the plugins Pulumi installs. `ndind`: our own plugin
// (provider/), their offline twin for machines that cannot get those.
export const PROVIDER_KINDS = ["pulumi", "ndind"] as const;
export type ProviderKind = typeof PROVIDER_KINDS[number];
