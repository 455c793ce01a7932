-- Generated from libs/orders/src/orders/orders.repository.ts by `npm run sql:sync`. Review changes as code.

-- ORDER_BY_ID
SELECT o.id, o.customer_id, o.status, o.currency, o.total, o.note, o.external_ref, o.import_id,
        o.created_by, o.owner,
        o.created_at, o.updated_at, o.version,
        COALESCE((SELECT json_agg(json_build_object('position', i.position, 'product', i.product,
                           'unitPrice', i.unit_price::text, 'quantity', i.quantity) ORDER BY i.position)
                    FROM order_items i WHERE i.order_id = o.id), '[]'::json) AS items
   FROM orders o
  WHERE o.id = $1 AND ${ownedBy('o.owner', 2)};

-- INSERT_ORDERS
INSERT INTO "orders" ("id", "customer_id", "status", "currency", "total", "note", "external_ref", "created_by", "owner", "import_id", "version")
  SELECT t.id, t.customer_id, 'placed', t.currency, t.total, t.note, t.external_ref, $7, $8, $9, 1
    FROM unnest($1::varchar[], $2::varchar[], $3::char(3)[], $4::numeric[], $5::varchar[], $6::varchar[])
         AS t(id, customer_id, currency, total, note, external_ref);

-- INSERT_ITEMS
INSERT INTO "order_items" ("order_id", "position", "product", "unit_price", "quantity")
  SELECT * FROM unnest($1::varchar[], $2::smallint[], $3::varchar[], $4::numeric[], $5::int[]);
