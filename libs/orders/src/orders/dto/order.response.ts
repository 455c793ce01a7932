import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CustomerResponse } from '@orderops/pii';
import { ORDER_STATUSES, type OrderStatus } from '../order.entity.js';

export class OrderItemResponse {
  @ApiProperty() product!: string;
  @ApiProperty({ example: '999.99' }) unitPrice!: string;
  @ApiProperty({ type: 'integer', example: 2 }) quantity!: number;
}

export class OrderResponse {
  @ApiProperty({ example: 'ORD-01JD8Q5Z3M7R4T6V8X0B2C4D6F' }) id!: string;
  @ApiProperty({ enum: ORDER_STATUSES }) status!: OrderStatus;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ example: '1999.98', description: 'computed by the server' }) total!: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Leave at the front desk' }) note!:
    string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'PO-2024-00017',
    description: 'your own order number',
  })
  externalRef!: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'IMP-01JD8Q5Z3M7R4T6V8X0B2C4D6F',
    description: 'the import that created the order; null for POST /orders',
  })
  importId!: string | null;
  @ApiProperty({ type: OrderItemResponse, isArray: true }) items!: OrderItemResponse[];
  @ApiPropertyOptional({ type: CustomerResponse, nullable: true, description: 'masked' })
  customer!: CustomerResponse | null;
  @ApiProperty({ description: 'principal that created the order, e.g. operator:<id>' }) createdBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: 'integer', example: 1, description: 'the ETag is the version in double quotes' })
  version!: number;
}

export class OrderPageResponse {
  @ApiProperty({ type: OrderResponse, isArray: true }) items!: OrderResponse[];
  @ApiPropertyOptional({ type: String, nullable: true, description: 'pass as cursor for the next page' })
  nextCursor!: string | null;
}
