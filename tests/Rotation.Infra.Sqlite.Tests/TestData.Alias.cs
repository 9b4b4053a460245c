// The SQLite-specific tests build the same records as the state-store contract suite: one set of samples.
global using TestData = Rotation.Testing.StateStores.StoreSamples;
