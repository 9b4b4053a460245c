// Placeholder until the command tree lands.
return 0;
