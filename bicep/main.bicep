// Rotation's Azure host: Flex Consumption Function App (.NET 10 isolated, Durable Functions) with a user-assigned
// identity; storage without shared keys; Key Vault (RBAC, purge protection) for CA keys; Rotation's Event Grid
// topic and the vault's system topic delivering to a storage queue; Application Insights with Entra-only ingestion.
targetScope = 'resourceGroup'

@description('Short name used to derive every resource name (3-11 lowercase letters and digits).')
@minLength(3)
@maxLength(11)
param baseName string

@description('Azure region (defaults to the resource group\'s).')
param location string = resourceGroup().location

@description('premium for HSM-backed root keys (RSA-HSM / EC-HSM); standard for software keys.')
@allowed([ 'standard', 'premium' ])
param keyVaultSku string = 'premium'

@description('Durable task hub name; distinct per environment sharing a storage account.')
param taskHub string = 'RotationHub'

@description('Table holding Rotation\'s state; distinct per environment sharing a storage account.')
@minLength(3)
@maxLength(63)
param stateTable string = 'rotation'

@description('NCRONTAB schedule of the expiry scan (hourly by default).')
param expiryScanSchedule string = '0 0 * * * *'

@description('AKS clusters in this resource group to grant the app AKS RBAC Writer on (empty: none).')
param aksClusterNames string[] = []

import { queueSubscriber, webhookSubscriber } from 'modules/eventgrid.bicep'

@description('Storage queues for Rotation\'s own events, filtered by event type, layer and expiry state (see modules/eventgrid.bicep).')
param alertQueues queueSubscriber[] = []

@description('Webhooks (CloudEvents over HTTPS, optionally Entra-authenticated) for Rotation\'s own events, filtered the same way.')
param alertWebhooks webhookSubscriber[] = []

var suffix = uniqueString(resourceGroup().id, baseName)
var eventQueue = 'rotation-events'
var deploymentContainer = 'app-package'
var names = {
  identity: '${baseName}-id-${suffix}'
  storage: take('${baseName}st${suffix}', 24)
  monitoring: '${baseName}-${suffix}'
  keyVault: take('${baseName}-kv-${suffix}', 24)
  events: '${baseName}-${suffix}'
  app: '${baseName}-func-${suffix}'
}

module identity 'modules/identity.bicep' = {
  params: {
    name: names.identity
    location: location
  }
}

module storage 'modules/storage.bicep' = {
  params: {
    name: names.storage
    location: location
    deploymentContainer: deploymentContainer
    eventQueue: eventQueue
  }
}

module monitoring 'modules/monitoring.bicep' = {
  params: {
    name: names.monitoring
    location: location
  }
}

module keyVault 'modules/keyvault.bicep' = {
  params: {
    name: names.keyVault
    location: location
    sku: keyVaultSku
  }
}

module events 'modules/eventgrid.bicep' = {
  params: {
    name: names.events
    location: location
    keyVaultName: names.keyVault
    storageAccountName: names.storage
    eventQueue: eventQueue
    alertQueues: alertQueues
    alertWebhooks: alertWebhooks
  }
  dependsOn: [ storage, keyVault ]
}

module roles 'modules/roles.bicep' = {
  params: {
    identityName: names.identity
    storageAccountName: names.storage
    keyVaultName: names.keyVault
    topicName: '${names.events}-events'
    insightsName: '${names.monitoring}-insights'
  }
  dependsOn: [ identity, storage, keyVault, monitoring, events ]
}

module app 'modules/functionapp.bicep' = {
  params: {
    name: names.app
    location: location
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: names.storage
    deploymentContainer: deploymentContainer
    insightsName: '${names.monitoring}-insights'
    keyVaultUri: keyVault.outputs.uri
    topicEndpoint: events.outputs.topicEndpoint
    taskHub: taskHub
    stateTable: stateTable
    expiryScanSchedule: expiryScanSchedule
  }
  // The app must not start before its identity can reach storage, or the host fails its first start.
  dependsOn: [ storage, monitoring, roles ]
}

module aks 'modules/aks-rbac.bicep' = if (!empty(aksClusterNames)) {
  params: {
    identityName: names.identity
    clusterNames: aksClusterNames
  }
}

@description('The Function App name (for the package deployment).')
output functionAppName string = app.outputs.name

@description('The app\'s host name: the HTTP API is https://<host>/api/.')
output functionAppHostName string = app.outputs.defaultHostName

@description('Key Vault URI holding the CA keys.')
output keyVaultUri string = keyVault.outputs.uri

@description('Rotation\'s Event Grid topic endpoint.')
output eventGridTopicEndpoint string = events.outputs.topicEndpoint
