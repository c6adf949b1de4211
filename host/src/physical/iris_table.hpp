#pragma once
// data/iris.csv as text, compiled in (iris_table.cpp is generated from it by CMake).
namespace attractor {
extern const char* const kIrisCsv;
}
