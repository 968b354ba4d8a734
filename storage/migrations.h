#pragma once
// The schema's forward-only migrations: entry i takes a database from user_version i to i + 1.
// Never edit a released entry: append a new one (storage/schema.cpp runs them).

#include <span>
#include <string_view>

namespace runboard::storage {

std::span<const std::string_view> migrations();

}  // namespace runboard::storage
