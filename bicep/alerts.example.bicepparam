// An example deployment with alert subscribers: on-call gets near-expiry and expired events for the layers that page
// (root and the issuing CA), a ticket queue gets every stalled gate. Copy it and change the names; the tests build it
// with `bicep build-params`, so it stays valid against main.bicep's parameter types.
using 'main.bicep'

param baseName = 'rotation'

param alertWebhooks = [
  {
    name: 'oncall-expiry'
    // The key travels in the URL, so the parameter type marks endpointUrl @secure(); read it from the environment.
    endpointUrl: readEnvironmentVariable('ROTATION_ONCALL_WEBHOOK', 'https://oncall.example.internal/hooks/rotation')
    entraApplicationIdOrUri: 'api://oncall-webhook'
    eventTypes: [ 'Rotation.CertificateNearExpiry', 'Rotation.CertificateExpired' ]
    layers: [ 'root', 'issuing' ]
    expiryStates: [ 'critical', 'expired' ]
  }
]

param alertQueues = [
  {
    name: 'tickets-gates'
    storageAccount: 'opsticketsstore'
    queueName: 'rotation-gates'
    eventTypes: [ 'Rotation.GateBlocked', 'Rotation.ApprovalRequired', 'Rotation.RotationFailed' ]
  }
]
