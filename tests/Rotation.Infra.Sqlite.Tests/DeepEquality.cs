using System.Collections;
using System.Reflection;

namespace Rotation.Infra.Sqlite.Tests;

/// <summary>
/// Structural comparison of records that hold lists and dictionaries (record equality compares those by
/// reference). Walks every public property, so a member added later is compared without touching the tests.
/// </summary>
internal static class DeepEquality
{
    public static void AssertEqual(object? expected, object? actual, string path = "$")
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }

        var type = expected.GetType();
        if (IsLeaf(type))
        {
            Assert.True(Equals(expected, actual), $"{path}: expected {expected}, got {actual}");
            if (expected is DateTimeOffset expectedTime)
            {
                Assert.Equal(expectedTime.Offset, ((DateTimeOffset)actual).Offset);
            }

            return;
        }

        if (expected is IDictionary expectedMap)
        {
            var actualMap = Assert.IsAssignableFrom<IDictionary>(actual);
            Assert.True(expectedMap.Count == actualMap.Count, $"{path}: expected {expectedMap.Count} entries, got {actualMap.Count}");
            foreach (DictionaryEntry entry in expectedMap)
            {
                Assert.True(actualMap.Contains(entry.Key), $"{path}: key '{entry.Key}' is missing");
                AssertEqual(entry.Value, actualMap[entry.Key], $"{path}[{entry.Key}]");
            }

            return;
        }

        if (expected is IEnumerable expectedItems)
        {
            var expectedList = expectedItems.Cast<object?>().ToList();
            var actualList = Assert.IsAssignableFrom<IEnumerable>(actual).Cast<object?>().ToList();
            Assert.True(expectedList.Count == actualList.Count, $"{path}: expected {expectedList.Count} items, got {actualList.Count}");
            for (var i = 0; i < expectedList.Count; i++)
            {
                AssertEqual(expectedList[i], actualList[i], $"{path}[{i}]");
            }

            return;
        }

        Assert.Equal(type, actual.GetType());
        foreach (var property in PublicProperties(type))
        {
            AssertEqual(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }

    /// <summary>
    /// Fails when any property, however deep, is null, an empty collection, or a zero number, time or duration:
    /// a round-trip sample must exercise everything (enums and bools may legitimately sit at their first value).
    /// </summary>
    public static void AssertFullyPopulated(object? value, string path = "$")
    {
        Assert.True(value is not null, $"{path} is null: populate it so the round trip covers it");
        var type = value.GetType();
        if (IsLeaf(type))
        {
            var isZero = value is 0 or 0L or 0.0 || value is string { Length: 0 }
                || value.Equals(TimeSpan.Zero) || value.Equals(default(DateTimeOffset));
            Assert.False(isZero, $"{path} is {value}: give it a non-default value so the round trip covers it");
            return;
        }

        if (value is IDictionary map)
        {
            Assert.True(map.Count > 0, $"{path} is empty: populate it so the round trip covers it");
            foreach (DictionaryEntry entry in map)
            {
                AssertFullyPopulated(entry.Value, $"{path}[{entry.Key}]");
            }

            return;
        }

        if (value is IEnumerable items)
        {
            var list = items.Cast<object?>().ToList();
            Assert.True(list.Count > 0, $"{path} is empty: populate it so the round trip covers it");
            for (var i = 0; i < list.Count; i++)
            {
                AssertFullyPopulated(list[i], $"{path}[{i}]");
            }

            return;
        }

        foreach (var property in PublicProperties(type))
        {
            AssertFullyPopulated(property.GetValue(value), $"{path}.{property.Name}");
        }
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
        || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(TimeSpan) || type == typeof(Guid);

    private static IEnumerable<PropertyInfo> PublicProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract");
}
