import XinyongCLI

await XinyongCommand.main()
