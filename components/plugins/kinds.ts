// The two implementations of the seam. `pulumi`: @pulumi/docker and
// @pulumi/command, the plugins Pulumi installs. `ndind`: our own plugin
// (provider/), their offline twin for machines that cannot get those.
export const PLUGIN_SETS = ["pulumi", "ndind"] as const;
export type PluginSet = typeof PLUGIN_SETS[number];
