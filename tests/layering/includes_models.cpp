// Preprocessed by the layering tests in tests/CMakeLists.txt: fails exactly when models/ is reachable on the
// include path. With sim's include path it must pass (sim may not see models); with models' it must fail
// (the control: the probe does detect a visible folder).
#if __has_include("models/README.md")
#error "models/ is visible on this include path"
#endif
