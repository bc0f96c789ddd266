// pulumi-resource-github, built from the upstream Terraform provider through the Pulumi Terraform bridge.
//
// The mapping below is the part of pulumi-github v6.12.1's provider/resources.go that matters at run time:
// the same package name, the same token rule (github_actions_secret -> github:index/actionsSecret:ActionsSecret),
// the same provider config defaults and the same per-resource options for the secret resources this project
// uses. Docs, SDK generation options and the embedded schema are left out: the engine never asks a resource
// provider for its schema during preview, up, refresh or destroy.
package main

import (
	"github.com/integrations/terraform-provider-github/v6/github"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	tfbridgetokens "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
)

// Version is set with -ldflags "-X main.Version=6.12.1" by tools/toolchain.
var Version = "6.12.1"

func providerInfo() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:                       shimv2.NewProvider(github.Provider()),
		Name:                    "github",
		Version:                 Version,
		GitHubOrg:               "integrations",
		TFProviderModuleVersion: "v6",
		Config: map[string]*tfbridge.SchemaInfo{
			"base_url": {Default: &tfbridge.DefaultInfo{EnvVars: []string{"GITHUB_BASE_URL"}, Value: "https://api.github.com/"}},
			"token":    {Default: &tfbridge.DefaultInfo{EnvVars: []string{"GITHUB_TOKEN"}}, Secret: tfbridge.True()},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"github_actions_environment_secret": {DeleteBeforeReplace: true},
			"github_actions_organization_secret": {
				Fields: map[string]*tfbridge.SchemaInfo{"selected_repository_ids": {ForceNew: tfbridge.True()}},
			},
		},
		EnableZeroDefaultSchemaVersion: true,
		EnableAccurateBridgePreview:    true,
		EnableRawStateDelta:            true,
	}
	info.MustComputeTokens(tfbridgetokens.SingleModule("github_", "index", tfbridgetokens.MakeStandard("github")))
	info.SetAutonaming(255, "-")
	return info
}

func main() {
	tfbridge.Main("github", Version, providerInfo(), []byte(`{"name":"github"}`))
}
