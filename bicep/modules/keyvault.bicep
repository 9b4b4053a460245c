@description('Key Vault name.')
param name string

@description('Azure region.')
param location string

@description('premium keeps root keys in HSMs (RSA-HSM / EC-HSM); standard uses software keys.')
@allowed([ 'standard', 'premium' ])
param sku string

@description('Soft-delete retention in days (7-90).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

// RBAC only (no access policies), soft delete and purge protection on: a deleted CA key can be recovered and can
// never be purged before its retention ends, not even by an administrator.
resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: sku }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
