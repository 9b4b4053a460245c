// File modes (0600 key files) are part of what these tests prove; they run where the product runs, on Unix.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
