"""The local sandbox: drs-chatops on an embedded AWS emulator (moto), a simulated DRS and a local
Slack. Development tooling only; never part of the Lambda bundle."""
