import XinyongCLI

/// The executable is only an entry point; every command lives in XinyongCLI.
@main extension XinyongCommand {}
