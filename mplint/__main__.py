from mplint.cli import main

main()
