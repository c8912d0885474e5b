// The glue between the room, the file transfer core (src/files) and the disk worker.
#include <boost/asio/dispatch.hpp>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "node/node_impl.hpp"
#include "wire/frame.hpp"

namespace peerchat {

namespace {

files::file_record from_store(history::stored_file f) {
  return {std::move(f.id), f.from, f.to_room, f.to, std::move(f.offer),
          static_cast<files::file_state>(f.state), std::move(f.path), std::move(f.hashes), f.seen, f.delivered};
}

history::stored_file to_store(files::file_record r) {
  return {std::move(r.id), r.from, r.to_room, r.to, std::move(r.offer), static_cast<int>(r.state),
          std::move(r.path), std::move(r.hashes), r.seen, r.delivered};
}

}  // namespace

std::filesystem::path node::impl::downloads_dir(const config& cfg) {
  if (!cfg.downloads_dir.empty()) return cfg.downloads_dir;
  return std::filesystem::path(cfg.data_dir.empty() ? "." : cfg.data_dir) / "downloads";
}

void node::impl::restore_files(history::store& store) {
  std::error_code ec;
  auto stored = store.load_files(files::transfers::max_files, ec);
  if (ec) spdlog::warn("cannot read the files table: {}", ec.message());
  std::vector<files::file_record> records;
  for (auto& f : stored) records.push_back(from_store(std::move(f)));
  files.restore(std::move(records), clock.now());
  for (auto& [to, offer] : files.own_private_offers()) core.restore_private_offer(to, std::move(offer), clock.now());
}

void node::impl::send_file(const std::string& who, const std::string& path) {
  std::optional<peer_id> to;
  if (who != "*") {
    to = core.find_member(who);
    if (!to) return;  // the room said why
  }
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  if (ec) return show(ui_event::error{fmt::format("cannot read {}: {}", path, ec.message())});
  disk->hash_file(absolute.string(), cfg.max_file_bytes,
                  [this, to, path = absolute.string()](std::variant<file_disk::hashed, std::string> hashed) {
                    if (finishing) return;
                    if (auto* why = std::get_if<std::string>(&hashed)) return show(ui_event::error{*why});
                    auto& h = std::get<file_disk::hashed>(hashed);
                    input([&](instant now) {
                      files.share(to, path, h.size, std::move(h.hashes), std::move(h.sha256), now);
                    });
                  });
}

void node::impl::on_file_action(room_action& a) {
  const instant now = clock.now();
  if (auto* f = std::get_if<action::file_frame>(&a)) files.on_frame(f->from, std::move(f->frame), now);
  else if (auto* o = std::get_if<action::file_offered>(&a)) files.on_offer(o->from, o->offer, o->to_room, now);
  else if (auto* d = std::get_if<action::file_offer_delivered>(&a)) files.on_private_offer_delivered(d->offer);
}

void node::impl::execute(files::action& a) {
  std::visit(
      [&](auto& act) {
        using T = std::decay_t<decltype(act)>;
        namespace fa = files::act;
        if constexpr (std::is_same_v<T, fa::send>) {
          core.send_to_member(act.to, act.frame, act.bulk);
        } else if constexpr (std::is_same_v<T, fa::emit>) {
          enrich(act.event);
          show(act.event);
        } else if constexpr (std::is_same_v<T, fa::save>) {
          if (history)
            history->submit([f = to_store(std::move(act.record))](history::store& s) {
              if (auto ec = s.save_file(f)) spdlog::warn("cannot save a file record: {}", ec.message());
            });
        } else if constexpr (std::is_same_v<T, fa::publish>) {
          auto publish = [this, act = std::move(act)]() mutable {
            if (act.announce) {
              enrich(*act.announce);  // our own private offer: names, as others' offers get
              show(*act.announce);
            }
            input([&](instant now) { core.offer_file(act.to, std::move(act.offer), now); });
          };
          // The worker runs tasks in order: the offer's record is written when this runs.
          if (history) history->ask([](history::store&) { return true; }, [publish = std::move(publish)](bool) mutable { publish(); });
          else publish();
        } else if constexpr (std::is_same_v<T, fa::read_chunk>) {
          const std::string file = act.id;
          const std::uint32_t index = act.index;
          const peer_id to = act.to;
          disk->read_chunk(std::move(act), [this, file, index, to](std::optional<std::string> data) {
            if (!finishing) input([&](instant) { files.on_chunk_read(file, index, to, std::move(data)); });
          });
        } else if constexpr (std::is_same_v<T, fa::open_part>) {
          const std::string file = act.id;
          disk->open_part(std::move(act), [this, file](std::optional<std::vector<bool>> held, std::string error) {
            if (!finishing) input([&](instant now) { files.on_part_opened(file, std::move(held), std::move(error), now); });
          });
        } else if constexpr (std::is_same_v<T, fa::write_chunk>) {
          const std::string file = act.id;
          const std::uint32_t index = act.index;
          const peer_id from = act.from;
          disk->write_chunk(std::move(act), [this, file, index, from](files::write_result r) {
            if (!finishing) input([&](instant now) { files.on_chunk_written(file, index, from, r, now); });
          });
        } else if constexpr (std::is_same_v<T, fa::finish>) {
          const std::string file = act.id;
          disk->finish(std::move(act), [this, file](std::optional<std::string> path, std::string sha) {
            if (!finishing) input([&](instant now) { files.on_finished(file, std::move(path), std::move(sha), now); });
          });
        } else if constexpr (std::is_same_v<T, fa::discard>) {
          disk->discard(std::move(act));
        }
      },
      a);
}

// File events carry ids; the room knows the names.
void node::impl::enrich(ui_event_t& e) const {
  auto fill = [&](peer_info& p) {
    if (const member* m = core.members().find(p.id)) {
      p.name = m->name;
      p.addr = m->addr;
    } else if (p.name.empty()) {
      p.name = "?";
    }
  };
  auto fill_file = [&](ui_event::file_info& f) {
    fill(f.from);
    if (!f.to_room) fill(f.to);
  };
  if (auto* offer = std::get_if<ui_event::file_offer>(&e)) fill_file(offer->file);
  if (auto* list = std::get_if<ui_event::files>(&e))
    for (auto& f : list->files) fill_file(f);
}

void node::send_file(std::string who, std::string path) {
  asio::dispatch(impl_->ioc, [this, w = std::move(who), p = std::move(path)] {
    impl_->send_file(w, p);
    impl_->pump();
  });
}

void node::get_file(std::string which) {
  asio::dispatch(impl_->ioc, [this, w = std::move(which)] {
    impl_->input([&](instant now) {
      impl_->files.set_neighbours(impl_->core.neighbours());
      impl_->files.get(w, now);
    });
  });
}

void node::cancel_file(std::string which) {
  asio::dispatch(impl_->ioc, [this, w = std::move(which)] {
    impl_->input([&](instant now) { impl_->files.cancel(w, now); });
  });
}

void node::list_files() {
  asio::dispatch(impl_->ioc, [this] { impl_->input([&](instant) { impl_->files.list(); }); });
}

}  // namespace peerchat
