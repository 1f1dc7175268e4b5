from lookout.cli import main

main()
