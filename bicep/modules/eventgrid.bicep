@description('Base name for the topics.')
param name string

@description('Azure region.')
param location string

@description('The Key Vault whose certificate events Rotation reacts to.')
param keyVaultName string

@description('Storage account holding the event queue.')
param storageAccountName string

@description('Queue the Key Vault events are delivered to.')
param eventQueue string

@description('Storage queues that get Rotation\'s own events, delivered with the topic\'s own identity.')
param alertQueues queueSubscriber[] = []

@description('Webhooks that get Rotation\'s own events as CloudEvents over HTTPS.')
param alertWebhooks webhookSubscriber[] = []

@description('Tenant of the webhooks\' Entra applications.')
param entraTenantId string = tenant().tenantId

// What every subscriber filters on. Layer and expiry state are matched against data.layer and data.expiryState, which
// every expiry event carries (docs/events.md); an absent or empty list means "any". (Two types rather than one
// discriminated union: bicep 0.49 does not carry @secure through a union member, and the lint rule
// use-secure-value-for-secure-inputs then rejects endpointUrl.)
@export()
type queueSubscriber = {
  @description('Subscription name.')
  name: string
  @description('Storage account (in this resource group) holding the subscriber queue.')
  storageAccount: string
  @description('The queue name.')
  queueName: string
  @description('Event types to deliver, e.g. Rotation.CertificateNearExpiry, Rotation.GateBlocked.')
  eventTypes: string[]
  @description('Layers to deliver (data.layer): root, intermediate, issuing, workload. Absent: every layer.')
  layers: layer[]?
  @description('Expiry states to deliver (data.expiryState): warning, critical, expired. Absent: every state.')
  expiryStates: expiryState[]?
}

@export()
type webhookSubscriber = {
  @description('Subscription name.')
  name: string
  @description('HTTPS endpoint (Event Grid performs the CloudEvents abuse-protection OPTIONS handshake when the subscription is created, so it must answer before this deploys). May carry a key in its query, so it is a secure value.')
  @secure()
  endpointUrl: string
  @description('Entra application (id or URI, in entraTenantId) that Event Grid gets a token for on every delivery: the way to authenticate deliveries. Absent: none.')
  entraApplicationIdOrUri: string?
  @description('Event types to deliver.')
  eventTypes: string[]
  @description('Layers to deliver (data.layer). Absent: every layer.')
  layers: layer[]?
  @description('Expiry states to deliver (data.expiryState). Absent: every state.')
  expiryStates: expiryState[]?
}

type layer = 'root' | 'intermediate' | 'issuing' | 'workload'
type expiryState = 'warning' | 'critical' | 'expired'

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

// Rotation's own topic: CloudEvents 1.0 in, Entra-only publishing (the outbox publisher holds EventGrid Data Sender).
resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: '${name}-events'
  location: location
  // Its own identity delivers to subscriber queues (storage has shared keys off).
  identity: { type: 'SystemAssigned' }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

// The vault's system topic, with a system-assigned identity that delivers to the storage queue (no secret, no webhook).
resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: '${name}-kv-events'
  location: location
  identity: { type: 'SystemAssigned' }
  properties: {
    source: keyVault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

resource keyVaultToQueue 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: 'certificates-to-queue'
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    filter: {
      includedEventTypes: [
        'Microsoft.KeyVault.CertificateNearExpiry'
        'Microsoft.KeyVault.CertificateExpired'
        'Microsoft.KeyVault.CertificateNewVersionCreated'
      ]
    }
    deliveryWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: storage.id
          queueName: eventQueue
          queueMessageTimeToLiveInSeconds: 604800
        }
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
  dependsOn: [ queueSender ]
}

// Event Grid's identity may only put messages on queues of this account (Storage Queue Data Message Sender).
resource queueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, systemTopic.id, 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a')
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Event Grid ANDs advanced filters, and an absent list filters nothing.
func subscriberFilter(eventTypes string[], layers string[]?, expiryStates string[]?) object => {
  includedEventTypes: eventTypes
  advancedFilters: concat(
    empty(layers ?? []) ? [] : [ { operatorType: 'StringIn', key: 'data.layer', values: layers } ],
    empty(expiryStates ?? []) ? [] : [ { operatorType: 'StringIn', key: 'data.expiryState', values: expiryStates } ])
}

resource subscriberStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = [for s in alertQueues: {
  name: s.storageAccount
}]

// The topic's identity may only put messages on the subscriber's account (Storage Queue Data Message Sender).
resource subscriberQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (s, i) in alertQueues: {
  name: guid(subscriberStorage[i].id, topic.id, 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a')
  scope: subscriberStorage[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a')
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource queueSubscriptions 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = [for (s, i) in alertQueues: {
  parent: topic
  name: s.name
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    filter: subscriberFilter(s.eventTypes, s.?layers, s.?expiryStates)
    deliveryWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: subscriberStorage[i].id
          queueName: s.queueName
        }
      }
    }
  }
  dependsOn: [ subscriberQueueSender[i] ]
}]

resource webhookSubscriptions 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = [for s in alertWebhooks: {
  parent: topic
  name: s.name
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    filter: subscriberFilter(s.eventTypes, s.?layers, s.?expiryStates)
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: s.endpointUrl
        azureActiveDirectoryTenantId: s.?entraApplicationIdOrUri == null ? null : entraTenantId
        azureActiveDirectoryApplicationIdOrUri: s.?entraApplicationIdOrUri
      }
    }
  }
}]

output topicId string = topic.id
output topicEndpoint string = topic.properties.endpoint
