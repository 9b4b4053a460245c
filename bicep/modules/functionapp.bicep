@description('Function App name.')
param name string

@description('Azure region.')
param location string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (identity-based connections name it).')
param identityClientId string

@description('Storage account name (AzureWebJobsStorage, Durable task hub, deployment package, event queue).')
param storageAccountName string

@description('Blob container holding the deployment package.')
param deploymentContainer string

@description('Application Insights component name.')
param insightsName string

@description('Key Vault URI.')
param keyVaultUri string

@description('Rotation\'s Event Grid topic endpoint.')
param topicEndpoint string

@description('Durable task hub name (letters and digits, starting with a letter).')
param taskHub string

@description('NCRONTAB schedule of the expiry scan.')
param expiryScanSchedule string

@description('Table holding Rotation\'s state (3-63 letters and digits, starting with a letter).')
@minLength(3)
@maxLength(63)
param stateTable string = 'rotation'

@description('Flex Consumption instance memory (MB).')
@allowed([ 512, 2048, 4096 ])
param instanceMemoryMB int = 2048

@description('Upper bound on scale-out.')
param maximumInstanceCount int = 40

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: insightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: '${name}-plan'
  location: location
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // Durable's orchestrator/activity/entity triggers scale as the "durable" group: keep one instance warm.
        alwaysReady: [ { name: 'durable', instanceCount: 1 } ]
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Host storage and the Durable task hub: identity-based, explicit service URIs (no account key anywhere).
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'AzureWebJobsStorage__blobServiceUri', value: storage.properties.primaryEndpoints.blob }
        { name: 'AzureWebJobsStorage__queueServiceUri', value: storage.properties.primaryEndpoints.queue }
        { name: 'AzureWebJobsStorage__tableServiceUri', value: storage.properties.primaryEndpoints.table }
        // The queue Event Grid delivers Key Vault events to (the EventQueue trigger's connection).
        { name: 'EventQueue__credential', value: 'managedidentity' }
        { name: 'EventQueue__clientId', value: identityClientId }
        { name: 'EventQueue__queueServiceUri', value: storage.properties.primaryEndpoints.queue }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'ROTATION_TASK_HUB', value: taskHub }
        { name: 'ExpiryScanSchedule', value: expiryScanSchedule }
        // Rotation's adapters (RotationFunctionsOptions, section "Rotation"): state in Table Storage on this account,
        // CA keys in Key Vault, events to Rotation's topic; all with the identity AZURE_CLIENT_ID names.
        { name: 'Rotation__Store', value: 'table' }
        { name: 'Rotation__TableEndpoint', value: storage.properties.primaryEndpoints.table }
        { name: 'Rotation__TableName', value: stateTable }
        { name: 'Rotation__Vault', value: 'keyvault' }
        { name: 'Rotation__KeyVaultUri', value: keyVaultUri }
        { name: 'Rotation__Events', value: 'eventgrid' }
        { name: 'Rotation__EventGridTopicEndpoint', value: topicEndpoint }
      ]
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
