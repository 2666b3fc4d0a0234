#include <iostream>

#include "strata/cli.hpp"

int main(int argc, char** argv) { return strata::tools::run_cli(argc, argv, std::cout, std::cerr); }
