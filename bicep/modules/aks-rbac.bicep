@description('Name of the Function App\'s user-assigned identity.')
param identityName string

@description('Names of AKS clusters in this resource group that Rotation may write mesh CA material to.')
param clusterNames string[]

// Azure Kubernetes Service RBAC Writer: read/write Secrets and ConfigMaps in namespaces (istio-system, linkerd,
// cert-manager), no cluster-admin. A cluster whose mesh needs cluster-scoped writes gets a narrower Kubernetes Role instead.
// Its id was checked against Microsoft Learn "Azure built-in roles" (ms.date 2026-09-10).
var aksRbacWriter = 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource clusters 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = [for cluster in clusterNames: {
  name: cluster
}]

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (cluster, i) in clusterNames: {
  name: guid(clusters[i].id, identity.id, aksRbacWriter)
  scope: clusters[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', aksRbacWriter)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}]
