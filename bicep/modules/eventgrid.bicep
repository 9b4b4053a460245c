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

@description('Who gets Rotation\'s own events, by event type: storage queues (on-call tooling polls or forwards them).')
param alertSubscribers alertSubscriber[] = []

type alertSubscriber = {
  @description('Subscription name.')
  name: string
  @description('Storage account (in this resource group) holding the subscriber queue.')
  storageAccount: string
  @description('The queue name.')
  queueName: string
  @description('Event types to deliver, e.g. Rotation.CertificateNearExpiry, Rotation.GateBlocked.')
  eventTypes: string[]
}

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

resource subscribers 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = [for subscriber in alertSubscribers: {
  parent: topic
  name: subscriber.name
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    filter: { includedEventTypes: subscriber.eventTypes }
    destination: {
      endpointType: 'StorageQueue'
      properties: {
        resourceId: resourceId('Microsoft.Storage/storageAccounts', subscriber.storageAccount)
        queueName: subscriber.queueName
      }
    }
  }
}]

output topicId string = topic.id
output topicEndpoint string = topic.properties.endpoint
