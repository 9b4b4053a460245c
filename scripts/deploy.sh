#!/usr/bin/env bash
# Deploys Rotation's Azure host: bicep/main.bicep into a resource group (what-if first, then create), then the
# Functions package. Prerequisites: Azure CLI (az) logged in with Owner or User Access Administrator + Contributor
# on the resource group (the template creates role assignments), the .NET 10 SDK, and a resource group.
#
# It cannot run on the build machines: they reach no Azure endpoint. CI checks the template offline instead
# (tests/Rotation.Functions.Tests/BicepTemplateTests.cs runs the real bicep build and lint).
#
# Usage: scripts/deploy.sh <resource-group> <base-name> [extra az deployment parameters...]
set -euo pipefail

resource_group="${1:?usage: scripts/deploy.sh <resource-group> <base-name> [parameters...]}"
base_name="${2:?usage: scripts/deploy.sh <resource-group> <base-name> [parameters...]}"
shift 2
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

command -v az >/dev/null || { echo "deploy: the Azure CLI (az) is required: https://learn.microsoft.com/cli/azure/install-azure-cli" >&2; exit 2; }
az account show >/dev/null 2>&1 || { echo "deploy: not logged in: run 'az login' first" >&2; exit 2; }

echo "== what-if (nothing changes yet)"
az deployment group what-if --resource-group "$resource_group" --template-file "$repo_root/bicep/main.bicep" \
    --parameters baseName="$base_name" "$@"

read -r -p "Apply these changes? [y/N] " answer
[ "$answer" = "y" ] || { echo "deploy: stopped before any change"; exit 1; }

echo "== deployment"
outputs="$(az deployment group create --resource-group "$resource_group" --template-file "$repo_root/bicep/main.bicep" \
    --parameters baseName="$base_name" "$@" --query properties.outputs -o json)"
app_name="$(echo "$outputs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["functionAppName"]["value"])')"

echo "== package"
publish_dir="$(mktemp -d)"
trap 'rm -rf "$publish_dir"' EXIT
dotnet publish "$repo_root/functions/Rotation.Functions" -c Release -o "$publish_dir/app"
(cd "$publish_dir/app" && zip -qr "$publish_dir/app.zip" .)
# Flex Consumption: one deploy pulls the package into the app's deployment container (identity-based).
az functionapp deployment source config-zip --resource-group "$resource_group" --name "$app_name" --src "$publish_dir/app.zip"
echo "deployed: https://$(echo "$outputs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["functionAppHostName"]["value"])')/api/"
